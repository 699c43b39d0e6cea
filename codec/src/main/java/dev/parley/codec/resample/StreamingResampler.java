package dev.parley.codec.resample;

import be.tarsos.dsp.resample.Resampler;
import java.util.Arrays;

/**
 * Converts a live mono stream from one sample rate to another, chunk by chunk, with the filter
 * state carried across chunks: feeding a signal in pieces of any size yields exactly the samples
 * one call on the whole signal yields, so chunk edges cause no clicks or gaps.
 *
 * <p>Built on TarsosDSP's windowed-sinc {@link Resampler} (a port of libresample), in its
 * high-quality mode. Tarsos's output depends slightly on how its input is cut into calls, so
 * input is staged and handed over in fixed 10 ms blocks: the call sequence, and so every output
 * sample, is then the same however the caller chunks the stream. Output lags input by up to one
 * block plus half the filter length until {@link #finish()} drains it. Equal rates pass samples
 * through untouched.
 *
 * <p>TarsosDSP is GPL-3.0; this class lives in the server's dependency tree only (see README).
 * Not thread-safe: one resampler per stream.
 */
public final class StreamingResampler {
  private final int fromRate;
  private final int toRate;
  private final double factor;
  private final Resampler resampler;
  private final float[] block;
  private int staged;
  private float[] out = new float[0]; // output of the current process()/finish() call
  private int produced;
  private boolean finished;

  public StreamingResampler(int fromRate, int toRate) {
    if (fromRate <= 0 || toRate <= 0) {
      throw new IllegalArgumentException("sample rates must be positive, got " + fromRate + " -> " + toRate);
    }
    double f = toRate / (double) fromRate;
    if (f < 1 / 256.0 || f > 256.0) {
      throw new IllegalArgumentException("resampling ratio " + fromRate + " -> " + toRate + " is out of range");
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    this.factor = f;
    this.resampler = fromRate == toRate ? null : new Resampler(true, f, f);
    this.block = new float[Math.max(1, fromRate / 100)];
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
    if (resampler == null) {
      return Arrays.copyOfRange(in, offset, offset + length);
    }
    produced = 0;
    int pos = offset;
    int end = offset + length;
    while (pos < end) {
      int n = Math.min(block.length - staged, end - pos);
      System.arraycopy(in, pos, block, staged, n);
      staged += n;
      pos += n;
      if (staged == block.length) {
        run(block.length, false);
        staged = 0;
      }
    }
    return Arrays.copyOf(out, produced);
  }

  /** Ends the stream and returns the samples still held in the filter. */
  public float[] finish() {
    if (finished) {
      return new float[0];
    }
    finished = true;
    if (resampler == null) {
      return new float[0];
    }
    produced = 0;
    run(staged, true);
    return Arrays.copyOf(out, produced);
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

  /** Resamples the first {@code length} staged samples, appending to {@code out} at {@code produced}. */
  private void run(int length, boolean last) {
    int capacity = produced + (int) Math.ceil(length * factor) + resampler.getFilterWidth() + 16;
    if (out.length < capacity) {
      out = Arrays.copyOf(out, Math.max(capacity, 2 * out.length));
    }
    int consumed = 0;
    // Tarsos stops when its output window is full or its input is used up; loop until both
    // the input is consumed and, on the last batch, nothing more comes out.
    while (true) {
      if (out.length - produced < 64) {
        out = Arrays.copyOf(out, out.length * 2);
      }
      Resampler.Result r = resampler.process(
          factor, block, consumed, length - consumed, last, out, produced, out.length - produced);
      consumed += r.inputSamplesConsumed;
      produced += r.outputSamplesGenerated;
      boolean outputFull = out.length - produced == 0;
      if (consumed >= length && !outputFull && (!last || r.outputSamplesGenerated == 0)) {
        break;
      }
      if (r.inputSamplesConsumed == 0 && r.outputSamplesGenerated == 0 && !outputFull) {
        break;
      }
    }
  }
}
