package dev.parley.codec.ogg;

import dev.parley.codec.audio.AudioFormatException;

/**
 * Bytes that are not a valid Ogg bitstream (RFC 3533): the message says what is wrong and where.
 */
public final class OggFormatException extends AudioFormatException {
  private static final long serialVersionUID = 1L;

  public OggFormatException(String message) {
    super(message);
  }
}
