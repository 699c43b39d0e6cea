package dev.parley.codec.format;

import dev.parley.codec.opus.OggOpusWriter;
import dev.parley.codec.resample.StreamingResampler;
import java.util.function.Consumer;

/**
 * Mono float to an Ogg Opus stream at the requested Opus rate: 20 ms packets, one page per 80 ms,
 * each page its own chunk (what Kyutai's clients expect). Stereo requests get a mono stream: every
 * Opus decoder plays it on both channels.
 */
final class OggOpusStreamEncoder implements AudioStreamEncoder {
  private final OggOpusWriter writer;
  private final StreamingResampler resampler;

  OggOpusStreamEncoder(int sourceRate, StreamFormat format, Consumer<byte[]> chunks) {
    this.resampler = new StreamingResampler(sourceRate, format.sampleRate());
    this.writer =
        new OggOpusWriter(
            OggOpusWriter.Options.speech24k().withSampleRate(format.sampleRate()), chunks);
  }

  @Override
  public void write(float[] pcm, int offset, int length) {
    writer.write(resampler.process(pcm, offset, length));
  }

  @Override
  public void finish() {
    writer.write(resampler.finish());
    writer.close();
  }
}
