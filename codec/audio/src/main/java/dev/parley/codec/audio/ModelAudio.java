package dev.parley.codec.audio;

/**
 * The audio Parley's models hear and speak: 24 kHz mono, in 80 ms frames of 1920 samples, 12.5
 * frames a second. Every transport converts to and from this at its edge.
 */
public final class ModelAudio {
  public static final int SAMPLE_RATE = 24_000;
  public static final int FRAME_SAMPLES = 1920;
  public static final int FRAME_MILLIS = 80;
  public static final long FRAME_NANOS = FRAME_MILLIS * 1_000_000L;
  public static final double FRAME_RATE = 12.5;

  private ModelAudio() {}

  /** The duration of {@code samples} samples at the model rate. */
  public static double seconds(long samples) {
    return samples / (double) SAMPLE_RATE;
  }
}
