package dev.parley.server.openai;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.resample.StreamingResampler;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A realtime session's input audio format to 24 kHz float: {@code pcm16} (GA: {@code audio/pcm}, 24
 * kHz little-endian 16-bit), {@code g711_ulaw} ({@code audio/pcmu}) and {@code g711_alaw} ({@code
 * audio/pcma}), both 8 kHz and resampled as a stream.
 */
final class RealtimeAudio {
  enum Format {
    PCM16("pcm16", "audio/pcm"),
    ULAW("g711_ulaw", "audio/pcmu"),
    ALAW("g711_alaw", "audio/pcma");

    final String beta;
    final String ga;

    Format(String beta, String ga) {
      this.beta = beta;
      this.ga = ga;
    }

    /** By either API version's name; null if unknown. */
    static Format of(String name) {
      for (Format f : values()) {
        if (f.beta.equals(name) || f.ga.equals(name)) {
          return f;
        }
      }
      return null;
    }
  }

  private final Format format;
  private final StreamingResampler up; // 8 kHz G.711 to 24 kHz

  RealtimeAudio(Format format) {
    this.format = format;
    this.up = format == Format.PCM16 ? null : new StreamingResampler(8000, ModelAudio.SAMPLE_RATE);
  }

  Format format() {
    return format;
  }

  /** One append's bytes to 24 kHz samples. */
  float[] decode(byte[] bytes) {
    if (format == Format.PCM16) {
      if (bytes.length % 2 != 0) {
        throw new IllegalArgumentException(
            "pcm16 audio must be whole 16-bit samples, got " + bytes.length + " bytes");
      }
      ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      float[] out = new float[bytes.length / 2];
      for (int i = 0; i < out.length; i++) {
        out[i] = b.getShort() / 32768f;
      }
      return out;
    }
    float[] narrow = new float[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      narrow[i] = (format == Format.ULAW ? ulaw(bytes[i]) : alaw(bytes[i])) / 32768f;
    }
    return up.process(narrow);
  }

  /** ITU-T G.711 μ-law to linear 16-bit. */
  static int ulaw(byte code) {
    int u = ~code & 0xFF;
    int t = ((u & 0x0F) << 3) + 0x84;
    t <<= (u & 0x70) >> 4;
    return (u & 0x80) != 0 ? 0x84 - t : t - 0x84;
  }

  /** ITU-T G.711 A-law to linear 16-bit. */
  static int alaw(byte code) {
    int a = (code & 0xFF) ^ 0x55;
    int t = (a & 0x0F) << 4;
    int seg = (a & 0x70) >> 4;
    switch (seg) {
      case 0 -> t += 8;
      case 1 -> t += 0x108;
      default -> {
        t += 0x108;
        t <<= seg - 1;
      }
    }
    return (a & 0x80) != 0 ? t : -t;
  }
}
