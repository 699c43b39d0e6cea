package dev.parley.server.persona;

/**
 * Integrated loudness of mono audio after ITU-R BS.1770-4 (as pyloudnorm measures it): K-weighting
 * (RBJ high shelf +4 dB at 1500 Hz, Q 1/√2, then a 38 Hz high-pass, Q 0.5, designed at the signal's
 * rate), mean square over 400 ms blocks with 75 % overlap, an absolute gate at −70 LUFS and a
 * relative gate 10 LU below the gated mean. A voice prompt is scaled to the model's target.
 */
public final class VoiceLoudness {
  private static final double BLOCK = 0.4;
  private static final double STEP = 0.25;

  private VoiceLoudness() {}

  /** LUFS; −∞ for silence; throws for audio shorter than one 400 ms block. */
  public static double integratedLufs(float[] pcm, int rate) {
    if (pcm.length < BLOCK * rate) {
      throw new IllegalArgumentException(
          "a voice prompt needs at least " + (int) (BLOCK * 1000) + " ms of audio");
    }
    double[] x = new double[pcm.length];
    for (int i = 0; i < x.length; i++) {
      x[i] = pcm[i];
    }
    x = biquad(x, highShelf(4.0, 1 / Math.sqrt(2), 1500.0, rate));
    x = biquad(x, highPass(0.5, 38.0, rate));
    double seconds = (double) pcm.length / rate;
    int blocks = (int) Math.round((seconds - BLOCK) / (BLOCK * STEP)) + 1;
    double[] z = new double[blocks];
    double[] l = new double[blocks];
    for (int j = 0; j < blocks; j++) {
      int lo = (int) (BLOCK * (j * STEP) * rate);
      int hi = Math.min(x.length, (int) (BLOCK * (j * STEP + 1) * rate));
      double sum = 0;
      for (int i = lo; i < hi; i++) {
        sum += x[i] * x[i];
      }
      z[j] = sum / (BLOCK * rate);
      l[j] = -0.691 + 10 * Math.log10(z[j]);
    }
    double relative = -0.691 + 10 * Math.log10(gatedMean(z, l, Double.NEGATIVE_INFINITY)) - 10;
    return -0.691 + 10 * Math.log10(gatedMean(z, l, relative));
  }

  /** Mean of the blocks above −70 LUFS and strictly above {@code relative}; 0 if none. */
  private static double gatedMean(double[] z, double[] l, double relative) {
    double sum = 0;
    int n = 0;
    for (int j = 0; j < z.length; j++) {
      if (l[j] >= -70 && l[j] > relative) {
        sum += z[j];
        n++;
      }
    }
    return n == 0 ? 0 : sum / n;
  }

  /** The gain that brings audio of {@code lufs} to {@code target}. */
  public static double gain(double lufs, double target) {
    return Math.pow(10, (target - lufs) / 20);
  }

  /** A copy of {@code pcm} scaled to {@code target} LUFS (as the fork does before encoding). */
  public static float[] normalize(float[] pcm, int rate, double target) {
    double lufs = integratedLufs(pcm, rate);
    if (Double.isInfinite(lufs)) {
      throw new IllegalArgumentException("the voice prompt is silent");
    }
    double g = gain(lufs, target);
    float[] out = new float[pcm.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (pcm[i] * g);
    }
    return out;
  }

  /** b0, b1, b2, a1, a2 normalised by a0. */
  private static double[] highShelf(double gainDb, double q, double fc, int rate) {
    double a = Math.pow(10, gainDb / 40);
    double w0 = 2 * Math.PI * fc / rate;
    double alpha = Math.sin(w0) / (2 * q);
    double cos = Math.cos(w0);
    double sq = 2 * Math.sqrt(a) * alpha;
    double b0 = a * ((a + 1) + (a - 1) * cos + sq);
    double b1 = -2 * a * ((a - 1) + (a + 1) * cos);
    double b2 = a * ((a + 1) + (a - 1) * cos - sq);
    double a0 = (a + 1) - (a - 1) * cos + sq;
    double a1 = 2 * ((a - 1) - (a + 1) * cos);
    double a2 = (a + 1) - (a - 1) * cos - sq;
    return new double[] {b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0};
  }

  private static double[] highPass(double q, double fc, int rate) {
    double w0 = 2 * Math.PI * fc / rate;
    double alpha = Math.sin(w0) / (2 * q);
    double cos = Math.cos(w0);
    double a0 = 1 + alpha;
    return new double[] {
      (1 + cos) / 2 / a0, -(1 + cos) / a0, (1 + cos) / 2 / a0, -2 * cos / a0, (1 - alpha) / a0
    };
  }

  /** Direct form II transposed, zero initial state (scipy's {@code lfilter}). */
  private static double[] biquad(double[] x, double[] c) {
    double[] y = new double[x.length];
    double s1 = 0;
    double s2 = 0;
    for (int i = 0; i < x.length; i++) {
      double out = c[0] * x[i] + s1;
      s1 = c[1] * x[i] - c[3] * out + s2;
      s2 = c[2] * x[i] - c[4] * out;
      y[i] = out;
    }
    return y;
  }
}
