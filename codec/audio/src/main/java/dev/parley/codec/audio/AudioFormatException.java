package dev.parley.codec.audio;

import java.io.IOException;

/**
 * Audio bytes that cannot be decoded: a malformed container, a corrupt packet or an encoding Parley
 * does not support. The message names the problem and, where known, where it was found.
 */
public class AudioFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public AudioFormatException(String message) {
    super(message);
  }

  public AudioFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
