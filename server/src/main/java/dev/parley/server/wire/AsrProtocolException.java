package dev.parley.server.wire;

/**
 * A message that breaks moshi-server's asr-streaming protocol; the message says what is wrong, for
 * the client.
 */
public final class AsrProtocolException extends Exception {
  private static final long serialVersionUID = 1L;

  public AsrProtocolException(String message) {
    super(message);
  }

  public AsrProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
