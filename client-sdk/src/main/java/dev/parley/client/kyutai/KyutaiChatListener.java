package dev.parley.client.kyutai;

/**
 * Receives what an {@code /api/chat} server sends, one call at a time on the WebSocket's thread;
 * return quickly. Every method does nothing by default.
 */
public interface KyutaiChatListener {
  /** The model's voice, decoded: mono float samples at 24 kHz (the array is the listener's). */
  default void onAudio(float[] pcm24k) {}

  /** A piece of the model's text (kind 2). */
  default void onText(String piece) {}

  /** A metadata JSON document (kind 4). */
  default void onMetadata(String json) {}

  /** An error the server reported (kind 5); the server usually closes next. */
  default void onServerError(String message) {}

  /** The connection closed (by either side); nothing follows. */
  default void onClosed(int statusCode, String reason) {}

  /** The connection or the audio decoding failed; nothing follows. */
  default void onFailure(Throwable error) {}
}
