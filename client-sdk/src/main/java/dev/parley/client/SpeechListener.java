package dev.parley.client;

import dev.parley.proto.v1.SynthesisEnd;
import dev.parley.proto.v1.SynthesisReady;
import dev.parley.proto.v1.WordTiming;

/**
 * Receives a speech synthesis as it is produced. Calls for one synthesis come one at a time, in the
 * server's order, on a gRPC thread: return quickly (the server's audio is read from the network
 * only as fast as these calls return). Every method does nothing by default.
 *
 * <p>Order: {@link #onReady} first; then audio chunks and word timings as the model produces them
 * (a word's timing comes before its audio); then {@link #onEnd} and nothing more — or {@link
 * #onError} at any point, and nothing more.
 */
public interface SpeechListener {
  /** First message: the model, the voices in use, the model's sample rate. */
  default void onReady(SynthesisReady ready) {}

  /** Audio in the options' output format (for PCM: one 80 ms frame per chunk). */
  default void onAudio(byte[] chunk) {}

  /** A word and when it is spoken, in seconds from the start of the audio. */
  default void onWord(WordTiming word) {}

  /** The summary: frames, words, model steps, time to first audio; nothing follows. */
  default void onEnd(SynthesisEnd end) {}

  /**
   * The synthesis failed (e.g. INVALID_ARGUMENT for an unknown voice, UNIMPLEMENTED on a server
   * without a text-to-speech model) or was cancelled; nothing follows.
   */
  default void onError(ParleyException error) {}
}
