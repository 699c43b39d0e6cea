package dev.parley.client;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.proto.v1.AudioFormat;
import dev.parley.proto.v1.Encoding;

/** Ready-made {@link AudioFormat}s for the formats the services accept. */
public final class AudioFormats {
  /** The model's own rate: Mimi runs at 24 kHz. */
  public static final int MODEL_RATE = ModelAudio.SAMPLE_RATE;

  private AudioFormats() {}

  /** Signed 16-bit little-endian PCM, mono, at {@code rateHz}. */
  public static AudioFormat pcmS16le(int rateHz) {
    return of(Encoding.PCM_S16LE, rateHz, 1);
  }

  /** 32-bit float little-endian PCM, mono, at {@code rateHz}. */
  public static AudioFormat pcmF32le(int rateHz) {
    return of(Encoding.PCM_F32LE, rateHz, 1);
  }

  /** An Ogg Opus stream, mono, encoded from or decoded at {@code rateHz}. */
  public static AudioFormat oggOpus(int rateHz) {
    return of(Encoding.OGG_OPUS, rateHz, 1);
  }

  public static AudioFormat of(Encoding encoding, int rateHz, int channels) {
    return AudioFormat.newBuilder()
        .setEncoding(encoding)
        .setSampleRateHz(rateHz)
        .setChannels(channels)
        .build();
  }

  /** Bytes one second of audio takes in a PCM format; 0 for compressed formats. */
  public static int pcmBytesPerSecond(AudioFormat format) {
    int channels = Math.max(1, format.getChannels());
    return switch (format.getEncoding()) {
      case PCM_S16LE -> 2 * channels * format.getSampleRateHz();
      case PCM_F32LE -> 4 * channels * format.getSampleRateHz();
      default -> 0;
    };
  }

  /** e.g. "PCM_S16LE 24000 Hz mono". */
  public static String describe(AudioFormat format) {
    return format.getEncoding()
        + " "
        + format.getSampleRateHz()
        + " Hz "
        + (format.getChannels() == 2
            ? "stereo"
            : format.getChannels() == 1 ? "mono" : format.getChannels() + " ch");
  }
}
