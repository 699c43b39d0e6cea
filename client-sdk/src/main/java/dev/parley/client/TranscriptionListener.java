package dev.parley.client;

import dev.parley.proto.v1.EndOfTurn;
import dev.parley.proto.v1.FinalTranscript;
import dev.parley.proto.v1.Marker;
import dev.parley.proto.v1.PauseProbabilities;
import dev.parley.proto.v1.TranscriptionInfo;
import dev.parley.proto.v1.Word;
import dev.parley.proto.v1.WordEnd;

/**
 * Receives a transcription's results. Calls for one session come one at a time, in the server's
 * order, on a gRPC thread: return quickly. Every method does nothing by default.
 *
 * <p>Order: {@link #onSession} first; then words, word ends, pause probabilities, ends of turn and
 * markers as the model gets to them; then {@link #onFinal} and nothing more — or {@link #onError}
 * at any point, and nothing more.
 */
public interface TranscriptionListener {
  /** First message: the session id, the model, how far its text lags the audio, its pause heads. */
  default void onSession(TranscriptionInfo session) {}

  /**
   * A word, as soon as its text is known (about {@code delay_s} after its audio). Its start is in
   * seconds of the client's audio; its end comes later through {@link #onWordEnd}.
   */
  default void onWord(Word word) {}

  /**
   * The end of the live word with this index, once the next word (or the end of input) fixes it.
   */
  default void onWordEnd(WordEnd wordEnd) {}

  /** Pause probabilities (only when the config asks for them every N steps). */
  default void onPause(PauseProbabilities pause) {}

  /** The end-of-turn head crossed its threshold: the speaker has probably finished. */
  default void onEndOfTurn(EndOfTurn endOfTurn) {}

  /**
   * A marker sent with {@link TranscriptionSession#sendMarker} came back: all audio before it is
   * transcribed.
   */
  default void onMarker(Marker marker) {}

  /** Every word with its start and end, at the end of input; nothing follows. */
  default void onFinal(FinalTranscript transcript) {}

  /**
   * The transcription failed (UNIMPLEMENTED on a server without a speech-to-text model) or was
   * cancelled; nothing follows.
   */
  default void onError(ParleyException error) {}
}
