package dev.parley.codec.testing;

import java.util.Random;

/** Test signals and the measures tests judge them by. */
public final class Signals {
  private Signals() {}

  public static float[] sine(double freq, int rate, int samples, double amplitude) {
    float[] x = new float[samples];
    for (int i = 0; i < samples; i++) {
      x[i] = (float) (amplitude * Math.sin(2 * Math.PI * freq * i / rate));
    }
    return x;
  }

  /** A linear chirp from f0 to f1 Hz. */
  public static float[] sweep(double f0, double f1, int rate, int samples, double amplitude) {
    float[] x = new float[samples];
    double duration = samples / (double) rate;
    for (int i = 0; i < samples; i++) {
      double t = i / (double) rate;
      x[i] =
          (float)
              (amplitude * Math.sin(2 * Math.PI * (f0 * t + (f1 - f0) * t * t / (2 * duration))));
    }
    return x;
  }

  public static float[] noise(long seed, int samples, double amplitude) {
    Random r = new Random(seed);
    float[] x = new float[samples];
    for (int i = 0; i < samples; i++) {
      x[i] = (float) (amplitude * (2 * r.nextDouble() - 1));
    }
    return x;
  }

  public static double rms(float[] x, int from, int to) {
    double s = 0;
    for (int i = from; i < to; i++) {
      s += (double) x[i] * x[i];
    }
    return Math.sqrt(s / Math.max(1, to - from));
  }

  /** Pearson correlation of a[i] and b[i + lag] over their overlap. */
  public static double correlation(float[] a, float[] b, int lag) {
    int from = Math.max(0, -lag);
    int to = Math.min(a.length, b.length - lag);
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    int n = 0;
    for (int i = from; i < to; i++) {
      double x = a[i];
      double y = b[i + lag];
      sa += x;
      sb += y;
      saa += x * x;
      sbb += y * y;
      sab += x * y;
      n++;
    }
    if (n == 0) {
      return 0;
    }
    double cov = sab - sa * sb / n;
    double va = saa - sa * sa / n;
    double vb = sbb - sb * sb / n;
    return cov / Math.sqrt(va * vb + 1e-30);
  }

  /** The lag in [-maxLag, maxLag] that maximises correlation, and that correlation. */
  public static double[] bestLag(float[] a, float[] b, int maxLag) {
    double best = -2;
    int bestLag = 0;
    for (int lag = -maxLag; lag <= maxLag; lag++) {
      double c = correlation(a, b, lag);
      if (c > best) {
        best = c;
        bestLag = lag;
      }
    }
    return new double[] {bestLag, best};
  }

  /** Correlation of the RMS envelopes over windows of {@code window} samples. */
  public static double envelopeCorrelation(float[] a, float[] b, int window) {
    int n = Math.min(a.length, b.length) / window;
    float[] ea = new float[n];
    float[] eb = new float[n];
    for (int w = 0; w < n; w++) {
      ea[w] = (float) rms(a, w * window, (w + 1) * window);
      eb[w] = (float) rms(b, w * window, (w + 1) * window);
    }
    return correlation(ea, eb, 0);
  }

  /** Power of a single frequency by the Goertzel algorithm, as an amplitude. */
  public static double toneAmplitude(float[] x, int from, int to, double freq, int rate) {
    double w = 2 * Math.PI * freq / rate;
    double coeff = 2 * Math.cos(w);
    double s1 = 0, s2 = 0;
    for (int i = from; i < to; i++) {
      // Hann window to keep leakage from neighbouring bins down.
      double win = 0.5 - 0.5 * Math.cos(2 * Math.PI * (i - from) / (to - from - 1));
      double s = x[i] * win + coeff * s1 - s2;
      s2 = s1;
      s1 = s;
    }
    double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    return 2 * Math.sqrt(power) / ((to - from) * 0.5);
  }

  public static float[] concat(float[]... parts) {
    int n = 0;
    for (float[] p : parts) {
      n += p.length;
    }
    float[] out = new float[n];
    int pos = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, out, pos, p.length);
      pos += p.length;
    }
    return out;
  }
}
