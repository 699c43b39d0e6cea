package dev.parley.server.tts;

/**
 * What a synthesis produces, called on the engine thread in order: words (each before its audio),
 * audio frames, then {@link #onEnd} and {@link #onClosed}. Implementations must not block.
 */
public interface TtsListener {
  /** One 80 ms frame: 1920 samples at 24 kHz, in [−1, 1]. */
  void onAudio(float[] pcm);

  /** A word and its times, as soon as its end is known. */
  default void onWord(TtsWord word) {}

  /** All the text was spoken (not called when the session is closed early). */
  default void onEnd(TtsSummary summary) {}

  /** The session is over: {@code reason} null after {@link #onEnd}, else why it was closed. */
  void onClosed(String reason);
}
