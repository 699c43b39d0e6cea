package dev.parley.server.engine;

import java.time.Duration;

/**
 * What every batched engine offers besides opening sessions: its slots, its step count and its
 * shutdown, all through its {@link EngineLoop}. Subclasses build their {@link BatchStep} and start
 * the loop with it.
 *
 * @param <S> the engine's session type
 */
public abstract class BatchedEngine<S extends EngineSession> implements AutoCloseable {
  protected final EngineLoop<S> loop;

  protected BatchedEngine(EngineLoop<S> loop) {
    this.loop = loop;
  }

  public final int maxSessions() {
    return loop.maxSessions();
  }

  public final int activeSessions() {
    return loop.activeSessions();
  }

  /** Batched steps so far. */
  public final long steps() {
    return loop.steps();
  }

  /** New sessions are refused as "draining"; open ones go on. */
  public final void drain() {
    loop.drain();
  }

  /**
   * Refuses new sessions and closes the open ones with {@code reason}; the native state is freed by
   * the loop after its last step.
   */
  public final void shutdown(String reason) {
    loop.shutdown(reason);
  }

  /** Waits until the loop has ended and freed the engine's native state. */
  public final boolean awaitTermination(Duration timeout) throws InterruptedException {
    return loop.awaitTermination(timeout);
  }

  @Override
  public final void close() {
    shutdown("server shutting down");
  }
}
