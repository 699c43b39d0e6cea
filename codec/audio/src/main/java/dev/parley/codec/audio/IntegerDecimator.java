package dev.parley.codec.audio;

/**
 * Streaming low-pass decimation by an integer factor (48 kHz to 24, 16, 12 or 8 kHz), a
 * Kaiser-windowed sinc FIR evaluated only at the kept samples. The output is aligned with the input
 * — the filter's group delay is removed — so output sample {@code k} is input sample {@code
 * k·factor}; the last {@link #delay()} outputs appear when {@link #finish} is called.
 *
 * <p>Exists because Concentus decodes hybrid-mode Opus packets to silence at any rate but 48 kHz,
 * so Parley always decodes at 48 kHz and decimates here. Cheaper than the general resampler for
 * these ratios: a shorter filter and no fractional phases.
 */
public final class IntegerDecimator {
  private static final int HALF_TAPS_PER_FACTOR = 16;
  private static final double KAISER_BETA = 8.6; // about -90 dB stop band

  private final int factor;
  private final float[] taps;
  private final float[] history; // circular, the last taps.length inputs
  private int head;
  private long inputs;
  private long outputs;
  private float[] out = new float[0];

  public IntegerDecimator(int factor) {
    if (factor < 1) {
      throw new IllegalArgumentException("decimation factor must be at least 1, got " + factor);
    }
    this.factor = factor;
    int half = HALF_TAPS_PER_FACTOR * factor;
    double cutoff = 0.5 / factor * 0.92; // cycles per input sample, a little inside the new Nyquist
    this.taps = new KaiserSinc(cutoff, half, KAISER_BETA).unitGainTaps(-half, 2 * half + 1);
    this.history = new float[taps.length];
  }

  public int factor() {
    return factor;
  }

  /** Output samples held back until more input (or {@link #finish}) arrives. */
  public int delay() {
    return HALF_TAPS_PER_FACTOR;
  }

  /** Feeds input and hands every output sample it completes to {@code sink}. */
  public void process(float[] in, int offset, int length, PcmConsumer sink) {
    if (factor == 1) {
      sink.accept(in, offset, length);
      return;
    }
    if (out.length < length / factor + 2) {
      out = new float[length / factor + 2];
    }
    int produced = 0;
    int half = taps.length / 2;
    for (int i = 0; i < length; i++) {
      history[head] = in[offset + i];
      head = (head + 1) % history.length;
      inputs++;
      // Output k is centred on input k·factor, which needs inputs up to k·factor + half.
      long centre = outputs * factor;
      if (inputs - 1 == centre + half) {
        out[produced++] = convolve();
        outputs++;
      }
    }
    if (produced > 0) {
      sink.accept(out, 0, produced);
    }
  }

  /** Flushes the filter with silence so every input sample's output comes out. */
  public void finish(PcmConsumer sink) {
    if (factor == 1) {
      return;
    }
    long wanted = (inputs + factor - 1) / factor;
    float[] zero = new float[1];
    while (outputs < wanted) {
      process(zero, 0, 1, sink);
    }
  }

  private float convolve() {
    // history[head] is the oldest sample; taps are symmetric so direction does not matter.
    double acc = 0;
    int idx = head;
    for (float tap : taps) {
      acc += tap * history[idx];
      idx = idx + 1 == history.length ? 0 : idx + 1;
    }
    return (float) acc;
  }
}
