package dev.parley.server.engine;

/** Step timings and session counts of one engine, for metrics. Called on the engine thread. */
public interface EngineObserver {
  EngineObserver NONE = new EngineObserver() {};

  /**
   * One batched step of {@code batch} sessions; the stages an engine lacks (no decode for
   * transcription, no encode for synthesis) are 0.
   */
  default void stepTimed(
      int batch, long encodeNanos, long lmNanos, long decodeNanos, long totalNanos) {}

  /** The engine has {@code slots} session slots; called once, when its loop is made. */
  default void capacity(int slots) {}

  default void sessionOpened() {}

  /** A session started from a cached prompt prefill instead of running it. */
  default void promptCacheHit() {}

  /** {@code reason} is null for a normal end. */
  default void sessionClosed(String reason) {}
}
