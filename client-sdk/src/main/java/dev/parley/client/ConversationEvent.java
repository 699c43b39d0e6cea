package dev.parley.client;

import dev.parley.proto.v1.End;
import dev.parley.proto.v1.FrameTiming;
import dev.parley.proto.v1.SessionInfo;
import dev.parley.proto.v1.TextPiece;

/**
 * One message of a conversation, for {@link java.util.concurrent.Flow} subscribers: one event per
 * server message. Failures arrive as {@code onError(ParleyException)}, the end as {@link Ended}
 * followed by {@code onComplete()}.
 */
public sealed interface ConversationEvent {
  /** The session's settings in effect. */
  record Session(SessionInfo info) implements ConversationEvent {}

  /** A piece of the model's voice, in the output format. */
  record Audio(byte[] data) implements ConversationEvent {}

  /** A piece of the model's text. */
  record Text(TextPiece piece) implements ConversationEvent {}

  /** Server latency of one output frame. */
  record Timing(FrameTiming timing) implements ConversationEvent {}

  /** The last message of a conversation that ended normally. */
  record Ended(End end) implements ConversationEvent {}
}
