package dev.parley.server.engine;

/**
 * What one kind of engine does with its slots; {@link EngineLoop} does the rest. Every method but
 * {@link #select} runs on the engine thread without the slot lock; only that thread touches the
 * model state behind these calls.
 *
 * @param <S> the engine's session type
 */
public interface BatchStep<S extends EngineSession> {
  /**
   * Fresh streaming state for the session's slot, before its first step. An exception closes the
   * session with "could not start: …".
   */
  void start(S session);

  /**
   * The session in slot {@code from} moves to the free slot {@code to} (the loop keeps live
   * sessions in the low slots so that a step computes rows 0..n−1 only): its whole streaming state
   * must follow it exactly. {@code from} is freed; the next session there gets {@link #start}.
   */
  void move(int from, int to);

  /**
   * Under the slot lock: what a started, open session does in the coming step. A session that steps
   * hands over its input for the step here (the engine keeps it by slot).
   */
  Turn select(S session, long nowNanos);

  /**
   * When the session's next input became ready ({@link System#nanoTime()}), or -1 if it has none:
   * the loop waits up to the gather window for the other sessions' inputs. Under the slot lock.
   */
  default long readySince(S session) {
    return -1;
  }

  /**
   * One batched step of slots 0..batch.length−1 (up to the highest slot that steps; the slots above
   * it are not computed); {@code batch[slot]} is null where a slot sits it out. Listener calls go
   * through {@link EngineLoop#deliver} so a failing one closes only its session; an exception
   * thrown here closes every session in the batch.
   */
  void step(S[] batch);

  /**
   * The session's work is done ({@link Turn.Kind#FINISH}): its last events, then {@link
   * EngineLoop#end}.
   */
  default void finish(S session) {
    throw new UnsupportedOperationException("this engine's sessions do not finish by themselves");
  }

  /** Frees the native state, once, after the last step. */
  void release();
}
