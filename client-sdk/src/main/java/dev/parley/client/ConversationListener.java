package dev.parley.client;

import dev.parley.proto.v1.End;
import dev.parley.proto.v1.FrameTiming;
import dev.parley.proto.v1.SessionInfo;
import dev.parley.proto.v1.TextPiece;

/**
 * Receives what the server sends during a conversation. Calls for one conversation come one at a
 * time, in the server's order, on a gRPC thread: return quickly (hand audio to a playback queue,
 * not to a blocking device write). Every method does nothing by default.
 */
public interface ConversationListener {
  /** First message: the session's id, model, output format and sampling in effect. */
  default void onSession(SessionInfo session) {}

  /** A piece of the model's voice in the output format (PCM chunks hold whole samples). */
  default void onAudio(byte[] chunk) {}

  /** A piece of the model's text, as soon as it is sampled. */
  default void onText(TextPiece text) {}

  /** Server-side latency of one output frame (only with {@code frameTiming(true)}). */
  default void onTiming(FrameTiming timing) {}

  /** The conversation ended normally; nothing follows. */
  default void onEnd(End end) {}

  /** The conversation failed or was cancelled; nothing follows. */
  default void onError(ParleyException error) {}
}
