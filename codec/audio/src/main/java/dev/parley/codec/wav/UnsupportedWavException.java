package dev.parley.codec.wav;

import dev.parley.codec.audio.AudioFormatException;

/** A WAV file that is malformed or stores samples in an encoding Parley does not read. */
public final class UnsupportedWavException extends AudioFormatException {
  private static final long serialVersionUID = 1L;

  public UnsupportedWavException(String message) {
    super(message);
  }
}
