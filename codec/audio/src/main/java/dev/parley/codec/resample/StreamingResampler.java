package dev.parley.codec.resample;

import dev.parley.codec.audio.KaiserSinc;
import java.util.Arrays;

/**
 * Converts a live mono stream from one sample rate to another, chunk by chunk: band-limited
 * interpolation with a Kaiser-windowed sinc. Output sample {@code n} is the input signal evaluated
 * at input time {@code n · from/to}, so no delay is added; the signal is taken as zero before its
 * first sample and after {@link #finish()}. Every output sample is computed from the same input
 * samples and the same taps whenever it is computed, so feeding a signal in pieces of any size
 * yields exactly the samples one call on the whole signal yields. In total the stream gives {@code
 * ceil(inputSamples · to / from)} samples. Output lags input by the filter's half-length, 36
 * samples of the lower rate (1.5 ms at 24 kHz, 4.5 ms at 8 kHz), held back until more input or
 * {@code finish()} arrives. Equal rates pass samples through untouched, with no lag.
 *
 * <p>The cut-off sits at 90% of the lower rate's Nyquist frequency, the filter spans 32 zero
 * crossings of the sinc either side, and the stop band is about 90 dB down. Each filter phase is
 * scaled to unit gain at DC, so a constant stays constant. Rate pairs with few phases (16 to 24 kHz
 * has 3, 44.1 to 24 kHz has 80) are tabulated exactly; others interpolate between tabulated phases,
 * which keeps the table to about 1.2 MB for any pair.
 *
 * <p>Not thread-safe: one resampler per stream.
 */
public final class StreamingResampler {
  private static final double ROLLOFF = 0.90;
  private static final int ZERO_CROSSINGS = 32;
  private static final double KAISER_BETA = 9.0;

  /** Tabulated phases per input sample at the highest cut-off (fewer for lower cut-offs). */
  private static final int MAX_ROWS = 4096;

  private final int fromRate;
  private final int toRate;
  private final long phases; // output instants are multiples of 1/phases of an input sample
  private final long stepWhole; // input advance per output sample: stepWhole + stepPhase/phases
  private final long stepPhase;
  private final int taps; // per output sample
  private final int half; // taps each side of the output instant
  private final int rows; // tabulated phases
  private final boolean exact; // one row per phase; otherwise interpolate between rows
  private final float[] table; // row r, tap k at r·taps + k: weighs input centre − half + 1 + k
  private float[] buf;
  private long bufStart; // absolute input index of buf[0]
  private int bufLength;
  private long inputCount;
  private long nextOut;
  private long centre; // the input sample at or just before output nextOut's instant
  private long phase; // how far after it, in 1/phases of a sample
  private boolean finished;

  public StreamingResampler(int fromRate, int toRate) {
    if (fromRate <= 0 || toRate <= 0) {
      throw new IllegalArgumentException(
          "sample rates must be positive, got " + fromRate + " -> " + toRate);
    }
    double ratio = toRate / (double) fromRate;
    if (ratio < 1 / 256.0 || ratio > 256.0) {
      throw new IllegalArgumentException(
          "resampling ratio " + fromRate + " -> " + toRate + " is out of range");
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    long g = gcd(fromRate, toRate);
    this.phases = toRate / g;
    long step = fromRate / g;
    this.stepWhole = step / phases;
    this.stepPhase = step % phases;
    if (fromRate == toRate) {
      this.half = 0;
      this.taps = 0;
      this.rows = 0;
      this.exact = true;
      this.table = null;
      return;
    }
    double cutoff = 0.5 * ROLLOFF * Math.min(1.0, ratio); // cycles per input sample
    this.half = (int) Math.ceil(ZERO_CROSSINGS / (2 * cutoff));
    this.taps = 2 * half;
    // Interpolation error scales with the kernel's curvature per input sample, so a lower cut-off
    // needs proportionally fewer rows: the table stays near 2 · MAX_ROWS · ZERO_CROSSINGS / ROLLOFF
    // floats (about 1.2 MB) whatever the pair.
    int interpolatedRows = (int) Math.ceil(MAX_ROWS * cutoff / (0.5 * ROLLOFF));
    this.exact = phases <= interpolatedRows;
    this.rows = exact ? (int) phases : interpolatedRows;
    KaiserSinc kernel = new KaiserSinc(cutoff, half, KAISER_BETA);
    int tableRows = exact ? rows : rows + 1; // interpolation reads row r + 1
    this.table = new float[tableRows * taps];
    for (int r = 0; r < tableRows; r++) {
      double frac = (double) r / rows; // the output instant's offset after the centre sample
      float[] row = kernel.unitGainTaps((1 - half) - frac, taps);
      System.arraycopy(row, 0, table, r * taps, taps);
    }
    this.buf = new float[4096 + 2 * taps];
    this.bufStart = -half; // the signal is zero before its first sample
    this.bufLength = half;
  }

  public int fromRate() {
    return fromRate;
  }

  public int toRate() {
    return toRate;
  }

  public float[] process(float[] in) {
    return process(in, 0, in.length);
  }

  /** Resamples the next {@code length} input samples; returns what is ready (possibly nothing). */
  public float[] process(float[] in, int offset, int length) {
    if (finished) {
      throw new IllegalStateException("resampler already finished");
    }
    if (table == null) {
      return Arrays.copyOfRange(in, offset, offset + length);
    }
    append(in, offset, length);
    inputCount += length;
    // Output n may be computed once its last tap, input centre(n) + half, has arrived.
    long lastCentre = inputCount - 1 - half;
    long ready =
        lastCentre < 0 ? 0 : ceilDiv((lastCentre + 1) * phases, stepWhole * phases + stepPhase);
    return produce(ready);
  }

  /** Ends the stream and returns the samples still held in the filter. */
  public float[] finish() {
    if (finished) {
      return new float[0];
    }
    finished = true;
    if (table == null) {
      return new float[0];
    }
    append(new float[half], 0, half); // the zeros after the end that the last outputs reach
    return produce(ceilDiv(inputCount * phases, stepWhole * phases + stepPhase));
  }

  /** Resamples a whole signal in one call. */
  public static float[] resample(float[] in, int fromRate, int toRate) {
    StreamingResampler r = new StreamingResampler(fromRate, toRate);
    float[] head = r.process(in);
    float[] tail = r.finish();
    float[] all = Arrays.copyOf(head, head.length + tail.length);
    System.arraycopy(tail, 0, all, head.length, tail.length);
    return all;
  }

  private float[] produce(long until) {
    float[] out = new float[(int) Math.max(0, until - nextOut)];
    for (int i = 0; i < out.length; i++) {
      int first = (int) (centre - half + 1 - bufStart);
      if (exact) {
        out[i] = dot((int) phase * taps, first);
      } else {
        double p = (double) phase * rows / phases;
        int row = (int) p;
        double a = p - row;
        out[i] = (float) ((1 - a) * dot(row * taps, first) + a * dot((row + 1) * taps, first));
      }
      centre += stepWhole;
      phase += stepPhase;
      if (phase >= phases) {
        phase -= phases;
        centre++;
      }
    }
    nextOut += out.length;
    discardConsumed();
    return out;
  }

  private float dot(int tap0, int first) {
    float[] t = table;
    float[] x = buf;
    double acc = 0;
    for (int k = 0; k < taps; k++) {
      acc += t[tap0 + k] * x[first + k];
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

  /** Drops input that no later output reaches back to. */
  private void discardConsumed() {
    int drop = (int) Math.max(0, Math.min(bufLength, centre - half + 1 - bufStart));
    if (drop > 0) {
      System.arraycopy(buf, drop, buf, 0, bufLength - drop);
      bufLength -= drop;
      bufStart += drop;
    }
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
