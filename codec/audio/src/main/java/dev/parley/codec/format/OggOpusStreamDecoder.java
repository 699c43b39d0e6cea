package dev.parley.codec.format;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.audio.PcmConsumer;
import dev.parley.codec.opus.OggOpusReader;
import dev.parley.codec.resample.StreamingResampler;

/** An Ogg Opus stream to mono float: decoded at an Opus rate, resampled for other targets. */
final class OggOpusStreamDecoder implements AudioStreamDecoder {
  private final OggOpusReader reader;
  private final StreamingResampler resampler; // null when the target is an Opus rate
  private final PcmConsumer sink;

  OggOpusStreamDecoder(int targetRate, PcmConsumer sink) {
    this.sink = sink;
    if (StreamFormat.isOpusRate(targetRate)) {
      this.resampler = null;
      this.reader = new OggOpusReader(targetRate, sink);
    } else {
      this.resampler = new StreamingResampler(48000, targetRate);
      this.reader =
          new OggOpusReader(
              48000,
              (pcm, off, len) -> {
                float[] out = resampler.process(pcm, off, len);
                sink.accept(out, 0, out.length);
              });
    }
  }

  @Override
  public void feed(byte[] chunk) throws AudioFormatException {
    reader.feed(chunk);
  }

  @Override
  public void finish() throws AudioFormatException {
    reader.finish();
    if (resampler != null) {
      float[] tail = resampler.finish();
      sink.accept(tail, 0, tail.length);
    }
  }
}
