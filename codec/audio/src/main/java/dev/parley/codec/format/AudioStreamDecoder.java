package dev.parley.codec.format;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.audio.PcmConsumer;

/**
 * Turns a client's audio stream, in any {@link StreamFormat}, into mono float PCM at one target
 * rate (the model's 24 kHz), chunk by chunk as it arrives. Not thread-safe: one per stream.
 */
public interface AudioStreamDecoder {
  /** Decodes one chunk; the samples it completes go to the sink before this returns. */
  void feed(byte[] chunk) throws AudioFormatException;

  /** The stream ended: flushes what filters still hold; fails if the stream was cut short. */
  void finish() throws AudioFormatException;

  /** A decoder from {@code format} to mono PCM at {@code targetRate}. */
  static AudioStreamDecoder create(StreamFormat format, int targetRate, PcmConsumer sink) {
    return switch (format.encoding()) {
      case PCM_S16LE, PCM_F32LE -> new PcmStreamDecoder(format, targetRate, sink);
      case OGG_OPUS -> new OggOpusStreamDecoder(targetRate, sink);
      case OPUS -> new OpusPacketDecoder(targetRate, sink);
    };
  }
}
