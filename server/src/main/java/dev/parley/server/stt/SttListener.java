package dev.parley.server.stt;

import java.util.List;

/**
 * What a transcription session tells its transport. Every call comes on the engine thread, in the
 * order below within a step: implementations must hand the event off (e.g. write to a Netty
 * channel, whose writes are thread-safe) and return at once — a slow listener delays every session
 * of the engine. An exception thrown here closes this session with an internal error.
 */
public interface SttListener {
  /** After every model step of the session (the silence prefix and flush included). */
  default void onStep(SttStep step) {}

  /**
   * The chosen extra head's pause probability crossed the session's threshold: the speaker has
   * probably finished a turn. Signalled once per pause (again only after a new text token).
   */
  default void onEndOfTurn(long stepIndex, float pauseProbability) {}

  /**
   * A word's text is known ({@link WordAssembler.WordStart}); {@code startSeconds} is relative to
   * the start of the client's audio.
   */
  void onWord(int index, String text, double startSeconds);

  /** The word {@code index} ends at {@code stopSeconds} ({@link WordAssembler.WordEnd}). */
  default void onWordEnd(int index, double stopSeconds) {}

  /** Every sample sent before {@link SttSession#marker} with this id has been transcribed. */
  default void onMarker(long id) {}

  /**
   * After {@link SttSession#endOfInput}, once the audio and the flush have been transcribed: the
   * whole transcript by the reference rules. {@link #onClosed} (with a null reason) follows.
   */
  default void onTranscript(List<SttWord> words) {}

  /**
   * The session ended; {@code reason} is null for a normal end (client close or transcript done).
   */
  void onClosed(String reason);
}
