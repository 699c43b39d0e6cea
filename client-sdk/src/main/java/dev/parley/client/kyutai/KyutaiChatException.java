package dev.parley.client.kyutai;

/**
 * A chat over Kyutai's WebSocket protocol failed: no handshake, a full send buffer, a closed
 * socket.
 */
public final class KyutaiChatException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public KyutaiChatException(String message) {
    super(message);
  }

  public KyutaiChatException(String message, Throwable cause) {
    super(message, cause);
  }
}
