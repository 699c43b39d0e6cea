package dev.parley.server.engine;

/**
 * What the engine loop knows of a session in one of its slots: the slot, whether the session is
 * closed, and whether its slot state was prepared. The engine's own session classes extend it with
 * their inputs and outputs.
 */
public abstract class EngineSession {
  private volatile int slot; // changed by the engine thread, under the slot lock, when it moves
  private EngineLoop<EngineSession> loop; // set by EngineLoop.open under the slot lock
  private volatile boolean closed;
  private boolean started; // engine thread only

  protected EngineSession(int slot) {
    this.slot = slot;
  }

  /**
   * Row of every batched tensor that belongs to this session. The engine keeps its sessions in the
   * low slots, so this changes when a lower slot frees ({@link BatchStep#move}).
   */
  public final int slot() {
    return slot;
  }

  /** Under the slot lock, by the engine thread: the session now lives in {@code slot}. */
  final void moveTo(int slot) {
    this.slot = slot;
  }

  public final boolean isClosed() {
    return closed;
  }

  @SuppressWarnings("unchecked")
  final void attach(EngineLoop<?> owner) {
    this.loop = (EngineLoop<EngineSession>) owner;
  }

  /**
   * Ends the session with {@code reason} (null: a normal close); its slot is freed before the next
   * step.
   */
  protected final void endSession(String reason) {
    loop.close(this, reason);
  }

  /** Wakes the engine: input arrived, or the transport can take output again. */
  protected final void wakeEngine() {
    loop.wakeUp();
  }

  /** Runs {@code r} under the slot lock, where the engine reads what the session hands over. */
  protected final void underEngineLock(Runnable r) {
    loop.underLock(r);
  }

  /** Under the slot lock, once: the session gave its slot back. */
  final void markClosed() {
    closed = true;
  }

  final boolean isStarted() {
    return started;
  }

  final void markStarted() {
    started = true;
  }

  /**
   * Tells the session's listener that it ended; {@code reason} is null for a normal end. Called
   * once, on whichever thread ended it (a transport, or the engine thread).
   */
  protected abstract void notifyClosed(String reason);
}
