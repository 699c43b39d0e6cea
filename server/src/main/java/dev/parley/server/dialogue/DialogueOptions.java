package dev.parley.server.dialogue;

import dev.parley.server.lm.SamplingParams;

/** Per-session generation settings (from the client's query parameters or gRPC config). */
public record DialogueOptions(
    SamplingParams text, SamplingParams audio, long seed, DialoguePrompt prompt) {
  /** Without a prompt. */
  public DialogueOptions(SamplingParams text, SamplingParams audio, long seed) {
    this(text, audio, seed, null);
  }

  /** The same settings with a persona prompt (null or empty for none). */
  public DialogueOptions withPrompt(DialoguePrompt p) {
    return new DialogueOptions(text, audio, seed, p == null || p.isEmpty() ? null : p);
  }

  /** The reference LMGen defaults: text temp 0.7 top-k 25, audio temp 0.8 top-k 250. */
  public static DialogueOptions defaults(long seed) {
    return new DialogueOptions(SamplingParams.DEFAULT_TEXT, SamplingParams.DEFAULT_AUDIO, seed);
  }

  public static DialogueOptions greedy() {
    return new DialogueOptions(SamplingParams.GREEDY, SamplingParams.GREEDY, 0);
  }
}
