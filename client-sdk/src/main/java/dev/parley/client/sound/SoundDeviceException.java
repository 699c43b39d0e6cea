package dev.parley.client.sound;

/**
 * No usable microphone or speaker: no sound card, no line in a supported format, or a busy device.
 */
public final class SoundDeviceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SoundDeviceException(String message) {
    super(message);
  }

  public SoundDeviceException(String message, Throwable cause) {
    super(message, cause);
  }
}
