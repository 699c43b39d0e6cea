package dev.parley.server.engine;

import dev.parley.server.lm.SamplingParams;

/** Per-session generation settings (from the client's query parameters or gRPC config). */
public record SessionOptions(SamplingParams text, SamplingParams audio, long seed) {
  /** The reference LMGen defaults: text temp 0.7 top-k 25, audio temp 0.8 top-k 250. */
  public static SessionOptions defaults(long seed) {
    return new SessionOptions(new SamplingParams(0.7, 25, 0), new SamplingParams(0.8, 250, 0), seed);
  }

  public static SessionOptions greedy() {
    return new SessionOptions(SamplingParams.GREEDY, SamplingParams.GREEDY, 0);
  }
}
