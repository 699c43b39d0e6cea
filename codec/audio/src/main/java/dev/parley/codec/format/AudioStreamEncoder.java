package dev.parley.codec.format;

import java.util.function.Consumer;

/**
 * Turns mono float PCM at a source rate (the model's 24 kHz) into the audio stream a client asked
 * for, handing out encoded chunks as soon as they exist. Not thread-safe: one per stream.
 */
public interface AudioStreamEncoder {
  /** Encodes {@code length} samples; completed chunks go to the chunk consumer. */
  void write(float[] pcm, int offset, int length);

  /** Ends the stream: flushes filters and codec tails (an Ogg stream gets its last page). */
  void finish();

  /** An encoder from mono PCM at {@code sourceRate} to {@code format}. */
  static AudioStreamEncoder create(int sourceRate, StreamFormat format, Consumer<byte[]> chunks) {
    return switch (format.encoding()) {
      case PCM_S16LE, PCM_F32LE -> new PcmStreamEncoder(sourceRate, format, chunks);
      case OGG_OPUS -> new OggOpusStreamEncoder(sourceRate, format, chunks);
      case OPUS -> new OpusPacketEncoder(sourceRate, format, chunks);
    };
  }
}
