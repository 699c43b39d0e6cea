package dev.parley.client;

import dev.parley.codec.audio.Pcm;
import dev.parley.codec.opus.OggOpusWriter;
import dev.parley.proto.v1.AudioFormat;
import java.util.function.Consumer;

/**
 * Turns mono float samples into the bytes of an input format: PCM (mono, or the sample copied to
 * both channels for stereo) or a live Ogg Opus stream, page by page. Not thread-safe.
 */
final class InputEncoder {
  private final AudioFormat format;
  private final Consumer<byte[]> out;
  private OggOpusWriter opus;

  /**
   * @param out receives each encoded chunk (for Ogg Opus: each completed page)
   */
  InputEncoder(AudioFormat format, Consumer<byte[]> out) {
    this.format = format;
    this.out = out;
  }

  void encode(float[] samples) {
    switch (format.getEncoding()) {
      case PCM_S16LE ->
          out.accept(Pcm.monoToS16le(spread(samples), 0, samples.length * channels()));
      case PCM_F32LE ->
          out.accept(Pcm.monoToF32le(spread(samples), 0, samples.length * channels()));
      case OGG_OPUS -> {
        if (opus == null) {
          opus =
              new OggOpusWriter(
                  OggOpusWriter.Options.speech24k().withSampleRate(format.getSampleRateHz()), out);
        }
        opus.write(samples);
      }
      default ->
          throw new UnsupportedOperationException(
              "sendAudio(float[]) encodes PCM_S16LE, PCM_F32LE and OGG_OPUS, not "
                  + format.getEncoding()
                  + "; send encoded bytes with sendAudio(byte[])");
    }
  }

  /** Ends an Ogg Opus stream, sending its last pages; nothing to do for PCM. */
  void finish() {
    if (opus != null) {
      opus.close();
      opus = null;
    }
  }

  private int channels() {
    return format.getChannels() == 2 ? 2 : 1;
  }

  private float[] spread(float[] mono) {
    if (channels() == 1) {
      return mono;
    }
    float[] stereo = new float[mono.length * 2];
    for (int i = 0; i < mono.length; i++) {
      stereo[2 * i] = mono[i];
      stereo[2 * i + 1] = mono[i];
    }
    return stereo;
  }
}
