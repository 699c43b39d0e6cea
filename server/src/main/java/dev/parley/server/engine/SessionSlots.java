package dev.parley.server.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntFunction;
import java.util.function.ToLongFunction;

/**
 * The fixed session slots of a batched engine (slot i is row i of every batched tensor) and the
 * lock its loop thread and the transports share. Sessions take a free slot on open and give it back
 * on close; the loop waits here for work and for the gather window.
 *
 * @param <S> the engine's session type
 */
public final class SessionSlots<S> {
  /**
   * Clients on the same clock complete their frames within a few ms of each other: waiting this
   * long after the first ready frame for the others turns several small steps into one batch.
   */
  public static final long GATHER_NANOS = 5_000_000L;

  private final Object[] slots;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private volatile boolean running = true;

  public SessionSlots(int size) {
    this.slots = new Object[size];
  }

  public int size() {
    return slots.length;
  }

  public boolean isRunning() {
    return running;
  }

  /**
   * Puts {@code create.apply(slot)} in the first free slot and wakes the loop.
   *
   * @throws EngineFullException when every slot is taken
   * @throws IllegalStateException after {@link #stop}
   */
  public S claim(IntFunction<S> create) throws EngineFullException {
    lock.lock();
    try {
      if (!running) {
        throw new IllegalStateException("engine is shut down");
      }
      for (int s = 0; s < slots.length; s++) {
        if (slots[s] == null) {
          S session = create.apply(s);
          slots[s] = session;
          work.signal();
          return session;
        }
      }
      throw new EngineFullException(slots.length);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Frees {@code session}'s slot once: if the session still holds one, runs {@code markClosed}
   * under the lock, empties the slot and returns true; a session released before gives false. A
   * session holds a slot from {@link #claim} until here (it may have moved in between).
   */
  public boolean release(S session, Runnable markClosed) {
    lock.lock();
    try {
      for (int s = 0; s < slots.length; s++) {
        if (slots[s] == session) {
          markClosed.run();
          slots[s] = null;
          return true;
        }
      }
      return false;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Under the lock: moves the highest sessions down into the free slots below them, so that the
   * sessions fill slots 0..n−1, and tells {@code moved} each move (session, from, to) in order.
   */
  public void compact(Moved<S> moved) {
    int top = slots.length - 1;
    for (int free = 0; free < top; free++) {
      if (slots[free] != null) {
        continue;
      }
      while (top > free && slots[top] == null) {
        top--;
      }
      if (top == free) {
        return;
      }
      S session = get(top);
      slots[free] = session;
      slots[top] = null;
      moved.moved(session, top, free);
    }
  }

  /** A session that {@link #compact} moved from one slot to another. */
  @FunctionalInterface
  public interface Moved<S> {
    void moved(S session, int from, int to);
  }

  public int occupied() {
    lock.lock();
    try {
      int n = 0;
      for (Object s : slots) {
        n += s == null ? 0 : 1;
      }
      return n;
    } finally {
      lock.unlock();
    }
  }

  /** Wakes the loop: a frame arrived, a session opened or closed. */
  public void wakeUp() {
    lock.lock();
    try {
      work.signal();
    } finally {
      lock.unlock();
    }
  }

  /** For the loop: holds the lock while it picks this step's sessions. */
  public void lock() {
    lock.lock();
  }

  public void unlock() {
    lock.unlock();
  }

  /** Under the lock: the session in {@code slot}, or null. */
  @SuppressWarnings("unchecked")
  public S get(int slot) {
    return (S) slots[slot];
  }

  /** Under the lock: waits up to {@code nanos} for work. Returns false if interrupted. */
  public boolean awaitWork(long nanos) {
    try {
      work.awaitNanos(nanos);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Under the lock: if some but not all open sessions have a frame ready, waits up to the gather
   * window after the oldest ready frame (woken by each arriving frame) for the others.
   *
   * @param readySince when a session's oldest waiting frame completed ({@link System#nanoTime()}),
   *     or -1 if none waits; closed sessions should answer -1 too
   */
  public void gather(ToLongFunction<S> readySince) {
    while (running) {
      long oldest = Long.MAX_VALUE;
      boolean allReady = true;
      for (int s = 0; s < slots.length; s++) {
        S session = get(s);
        if (session == null) {
          continue;
        }
        long t = readySince.applyAsLong(session);
        if (t < 0) {
          allReady = false;
        } else {
          oldest = Math.min(oldest, t);
        }
      }
      long wait = GATHER_NANOS - (System.nanoTime() - oldest);
      if (oldest == Long.MAX_VALUE || allReady || wait <= 0) {
        return;
      }
      try {
        work.awaitNanos(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** No more sessions: stops the loop and returns the sessions still open, to be closed. */
  public List<S> stop() {
    List<S> open = new ArrayList<>();
    lock.lock();
    try {
      running = false;
      work.signalAll();
      for (int s = 0; s < slots.length; s++) {
        if (slots[s] != null) {
          open.add(get(s));
        }
      }
    } finally {
      lock.unlock();
    }
    return open;
  }
}
