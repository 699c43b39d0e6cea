package dev.parley.codec.opus;

import dev.parley.codec.audio.AudioFormatException;

/** An Ogg Opus stream that breaks RFC 7845 or carries an Opus packet that cannot be decoded. */
public final class OpusStreamException extends AudioFormatException {
  private static final long serialVersionUID = 1L;

  public OpusStreamException(String message) {
    super(message);
  }

  public OpusStreamException(String message, Throwable cause) {
    super(message, cause);
  }
}
