package dev.parley.client.audio;

import java.util.Arrays;

/**
 * Streaming band-limited resampling between any two rates (windowed sinc, Kaiser window), for
 * sound devices that run at 44.1, 48 or 16 kHz while the model speaks at 24 kHz. Written here
 * because the SDK may not use TarsosDSP (GPL).
 *
 * <p>Output sample {@code n} is the input signal evaluated at input time {@code n · in/out}: no
 * delay is added, and the result does not depend on how the input is split into chunks. After
 * {@link #flush()} the total output is {@code ceil(inputSamples · out / in)} samples. Output lags
 * input by the filter's half-length (about 1.3 ms at 24 kHz), held back until more input or
 * {@code flush()} arrives.
 *
 * <p>The cut-off sits at 90% of the lower rate's Nyquist frequency; the stop band is about 90 dB
 * down. Each filter phase is normalised to unit DC gain, so a constant stays exactly constant.
 * Not thread-safe: one resampler per stream.
 */
public final class Resampler {
  private static final double ROLLOFF = 0.90;
  private static final int ZERO_CROSSINGS = 32;
  private static final double KAISER_BETA = 9.0;
  /** Rate pairs with more phases than this interpolate between tabulated phases. */
  private static final int MAX_PHASES = 4096;

  private final int inRate;
  private final int outRate;
  private final long step; // input advance per output sample, in 1/phases units of an input sample
  private final long phases;
  private final int tablePhases;
  private final int half; // taps each side of the output instant
  private final float[][] table;
  private float[] buf;
  private long bufStart; // absolute input index of buf[0]
  private int bufLength;
  private long inputCount;
  private long nextOut;
  private boolean flushed;

  public Resampler(int inRate, int outRate) {
    if (inRate <= 0 || outRate <= 0) {
      throw new IllegalArgumentException("sample rates must be positive: " + inRate + " -> " + outRate);
    }
    this.inRate = inRate;
    this.outRate = outRate;
    long g = gcd(inRate, outRate);
    this.phases = outRate / g;
    this.step = inRate / g;
    double cutoff = 0.5 * ROLLOFF * Math.min(1.0, (double) outRate / inRate); // cycles per input sample
    this.half = inRate == outRate ? 1 : (int) Math.ceil(ZERO_CROSSINGS / (2 * cutoff));
    this.tablePhases = (int) Math.min(phases, MAX_PHASES);
    this.table = inRate == outRate ? null : buildTable(cutoff, half, tablePhases);
    this.buf = new float[4096 + 2 * half];
    this.bufStart = -half; // the signal is zero before its first sample
    this.bufLength = half;
  }

  public int inputRate() {
    return inRate;
  }

  public int outputRate() {
    return outRate;
  }

  /** Feeds samples; returns the output they complete (possibly empty). */
  public float[] process(float[] in) {
    return process(in, 0, in.length);
  }

  public float[] process(float[] in, int offset, int length) {
    if (flushed) {
      throw new IllegalStateException("the resampler was flushed; make a new one for a new stream");
    }
    append(in, offset, length);
    inputCount += length;
    return produce(false);
  }

  /** Ends the stream: returns the remaining output, the signal taken as zero after its end. */
  public float[] flush() {
    if (flushed) {
      return new float[0];
    }
    flushed = true;
    return produce(true);
  }

  /** Resamples a whole signal in one call. */
  public static float[] resample(float[] in, int inRate, int outRate) {
    Resampler r = new Resampler(inRate, outRate);
    float[] a = r.process(in);
    float[] b = r.flush();
    float[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private float[] produce(boolean end) {
    long total = end ? ceilDiv(inputCount * phases, step) : Long.MAX_VALUE;
    // Output n needs input up to index floor(n·step/phases) + half.
    long limit;
    if (end) {
      limit = total;
    } else {
      long lastUsable = inputCount - 1 - half; // largest centre index whose taps are all here
      limit = lastUsable < 0 ? 0 : Math.min(total, (lastUsable * phases) / step + 1);
    }
    int count = (int) Math.max(0, limit - nextOut);
    float[] out = new float[count];
    if (end) {
      // Zeros after the end so the last outputs' taps exist.
      append(new float[half + 1], 0, half + 1);
    }
    for (int i = 0; i < count; i++) {
      out[i] = sample(nextOut++);
    }
    discardConsumed();
    return out;
  }

  private float sample(long n) {
    long pos = n * step;
    long centre = pos / phases;
    if (table == null) {
      return buf[(int) (centre - bufStart)];
    }
    long phase = pos % phases;
    int first = (int) (centre - half + 1 - bufStart);
    if (tablePhases == phases) {
      return dot(table[(int) phase], first);
    }
    // Too many exact phases to tabulate: interpolate between the two nearest tabulated ones.
    double p = (double) phase * tablePhases / phases;
    int p0 = (int) p;
    double a = p - p0;
    return (float) ((1 - a) * dot(table[p0], first) + a * dot(table[p0 + 1], first));
  }

  private float dot(float[] taps, int first) {
    double acc = 0;
    for (int k = 0; k < taps.length; k++) {
      acc += taps[k] * buf[first + k];
    }
    return (float) acc;
  }

  private void append(float[] in, int offset, int length) {
    if (bufLength + length > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, bufLength + length));
    }
    System.arraycopy(in, offset, buf, bufLength, length);
    bufLength += length;
  }

  /** Drops input no future output reaches back to. */
  private void discardConsumed() {
    long firstNeeded = (nextOut * step) / phases - half + 1;
    int drop = (int) Math.max(0, Math.min(bufLength, firstNeeded - bufStart));
    if (drop > 0) {
      System.arraycopy(buf, drop, buf, 0, bufLength - drop);
      bufLength -= drop;
      bufStart += drop;
    }
  }

  /**
   * Row p holds the taps for an output instant p/rows of an input sample after a centre sample:
   * tap k (0-based) weighs input {@code centre - half + 1 + k}.
   */
  private static float[][] buildTable(double cutoff, int half, int rows) {
    float[][] t = new float[rows + 1][2 * half];
    double i0Beta = besselI0(KAISER_BETA);
    for (int p = 0; p <= rows; p++) {
      double frac = (double) p / rows;
      double sum = 0;
      double[] row = new double[2 * half];
      for (int k = 0; k < 2 * half; k++) {
        double x = (k - half + 1) - frac; // input sample time minus output time
        double r = x / half;
        double window = Math.abs(r) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0Beta;
        row[k] = 2 * cutoff * sinc(2 * cutoff * x) * window;
        sum += row[k];
      }
      for (int k = 0; k < row.length; k++) {
        t[p][k] = (float) (row[k] / sum);
      }
    }
    return t;
  }

  private static double sinc(double x) {
    return x == 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
  }

  private static double besselI0(double x) {
    double sum = 1;
    double term = 1;
    for (int k = 1; k < 50; k++) {
      term *= (x / (2 * k)) * (x / (2 * k));
      sum += term;
      if (term < 1e-12 * sum) {
        break;
      }
    }
    return sum;
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
