package dev.parley.codec.ogg;

import dev.parley.codec.audio.AudioFormatException;

/** Receives packets as an {@link OggPacketReader} completes them. */
@FunctionalInterface
public interface OggPacketSink {
  void packet(OggPacket packet) throws AudioFormatException;
}
