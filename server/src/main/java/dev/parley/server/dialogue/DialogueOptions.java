package dev.parley.server.dialogue;

import dev.parley.server.lm.SamplingParams;

/** Per-session generation settings (from the client's query parameters or gRPC config). */
public record DialogueOptions(SamplingParams text, SamplingParams audio, long seed) {
  /** The reference LMGen defaults: text temp 0.7 top-k 25, audio temp 0.8 top-k 250. */
  public static DialogueOptions defaults(long seed) {
    return new DialogueOptions(SamplingParams.DEFAULT_TEXT, SamplingParams.DEFAULT_AUDIO, seed);
  }

  public static DialogueOptions greedy() {
    return new DialogueOptions(SamplingParams.GREEDY, SamplingParams.GREEDY, 0);
  }
}
