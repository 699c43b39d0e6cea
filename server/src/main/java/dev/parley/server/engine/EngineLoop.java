package dev.parley.server.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batched loop every engine runs: a fixed table of session slots (slot i is row i of every
 * batched tensor) and one thread that, round after round, prepares the slots of new sessions, asks
 * the engine's {@link BatchStep} what each session does, and runs one batched step of those that
 * step. Only this thread touches model state.
 *
 * <p>It also owns what every engine needs the same way: the gather window (real-time engines wait a
 * few ms after the first ready input for the others, so they share a step), step failures (a failed
 * step closes only the sessions in it), listener guards (a failing listener closes only its
 * session), and an ordered shutdown: new sessions are refused, open ones closed with a message, and
 * the native state is freed by this thread itself once its last step is over, so a shutdown that
 * stops waiting for a slow step can never free memory that step still uses.
 *
 * @param <S> the engine's session type
 */
public final class EngineLoop<S extends EngineSession> {
  private static final Logger LOG = LoggerFactory.getLogger(EngineLoop.class);

  /** How long an idle loop sleeps before it looks at its slots again, unless woken. */
  private static final long IDLE_WAIT_NANOS = 20_000_000L;

  /** How long {@link #shutdown} waits for a step in progress to end. */
  public static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(5);

  /**
   * How the loop paces its steps.
   *
   * @param gather whether to wait up to {@link SessionSlots#GATHER_NANOS} after the first ready
   *     input for the others (engines on the 80 ms clock)
   * @param startsWhileBusy how many new sessions may be prepared in a round while others are
   *     running (preparing one may be costly)
   */
  public record Pacing(boolean gather, int startsWhileBusy) {
    /** Dialogue and transcription: steps follow the clients' 80 ms frames. */
    public static final Pacing REAL_TIME =
        new Pacing(/* gather= */ true, /* startsWhileBusy= */ Integer.MAX_VALUE);

    /**
     * Steps as fast as compute allows; at most one new session prepared per step while others run.
     */
    public static final Pacing AS_FAST_AS_POSSIBLE =
        new Pacing(/* gather= */ false, /* startsWhileBusy= */ 1);
  }

  private final String name;
  private BatchStep<S> batchStep; // set once by start(), before the thread runs
  private final IntFunction<S[]> newBatch;
  private final EngineObserver observer;
  private final Pacing pacing;
  private final SessionSlots<S> slots;
  private final Thread thread;
  private final AtomicLong steps = new AtomicLong();
  private final AtomicBoolean released = new AtomicBoolean();
  private volatile boolean draining;

  /**
   * A loop over {@code maxSessions} slots; {@link #start} gives it its step and starts its thread.
   *
   * @param name the thread's name and the engine's name in logs
   * @param newBatch makes the array of one step's sessions (indexed by slot)
   */
  public EngineLoop(
      String name,
      int maxSessions,
      IntFunction<S[]> newBatch,
      EngineObserver observer,
      Pacing pacing) {
    if (maxSessions < 1) {
      throw new IllegalArgumentException("need at least one session slot");
    }
    this.name = name;
    this.newBatch = newBatch;
    this.observer = observer;
    this.pacing = pacing;
    this.slots = new SessionSlots<>(maxSessions);
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
    observer.capacity(maxSessions);
  }

  /** Starts the thread that runs {@code step}; once only. */
  public EngineLoop<S> start(BatchStep<S> step) {
    if (batchStep != null) {
      throw new IllegalStateException(name + " is started already");
    }
    batchStep = step;
    thread.start();
    return this;
  }

  public int maxSessions() {
    return slots.size();
  }

  public int activeSessions() {
    return slots.occupied();
  }

  /** Batched steps run so far. */
  public long steps() {
    return steps.get();
  }

  /**
   * Puts {@code create.apply(slot)} in a free slot; the loop prepares its state before its first
   * step.
   *
   * @throws EngineFullException when every slot is taken
   * @throws IllegalStateException after {@link #shutdown}
   */
  public S open(IntFunction<S> create) throws EngineFullException {
    if (draining) {
      throw EngineFullException.draining();
    }
    S session =
        slots.claim(
            slot -> {
              S s = create.apply(slot);
              s.attach(this);
              return s;
            });
    observer.sessionOpened();
    return session;
  }

  /**
   * Refuses new sessions with {@link EngineFullException#draining()}; open ones go on until they
   * end or {@link #shutdown} closes them.
   */
  public void drain() {
    draining = true;
  }

  /** Wakes the loop: input arrived, a session opened or its output has room again. */
  public void wakeUp() {
    slots.wakeUp();
  }

  /**
   * Runs {@code r} under the slot lock, where {@link BatchStep#select} reads what sessions hand
   * over.
   */
  public void underLock(Runnable r) {
    slots.lock();
    try {
      r.run();
    } finally {
      slots.unlock();
    }
  }

  /**
   * Ends {@code session} with {@code reason} (null: a normal close); does nothing the second time.
   */
  public void close(S session, String reason) {
    if (release(session, reason)) {
      notifyClosed(session, reason);
    }
  }

  /**
   * Ends a session whose work is done: frees its slot first (so its client may open the next
   * session at once), then runs {@code lastEvents} and the normal close. A failing {@code
   * lastEvents} turns the close into an internal error.
   */
  public void end(S session, Runnable lastEvents) {
    if (!release(session, null)) {
      return;
    }
    String reason = null;
    try {
      lastEvents.run();
    } catch (RuntimeException e) {
      LOG.error("{}: listener failed at the end of a session", name, e);
      reason = internalError(e);
    }
    notifyClosed(session, reason);
  }

  /**
   * Runs listener calls for {@code session}; returns false, having closed the session with an
   * internal error, if they throw — the other sessions of the step carry on. Does nothing for a
   * closed session.
   */
  public boolean deliver(S session, Runnable events) {
    if (session.isClosed()) {
      return false;
    }
    try {
      events.run();
      return true;
    } catch (RuntimeException e) {
      LOG.error("{}: listener failed; closing its session", name, e);
      close(session, internalError(e));
      return false;
    }
  }

  /**
   * Refuses new sessions, closes the open ones with {@code reason}, and waits (bounded) for the
   * step in progress; the loop frees the native state after it.
   */
  public void shutdown(String reason) {
    shutdown(reason, SHUTDOWN_WAIT);
  }

  /** As {@link #shutdown(String)}, waiting at most {@code wait} for the step in progress. */
  public void shutdown(String reason, Duration wait) {
    List<S> open = slots.stop();
    for (S s : open) {
      close(s, reason);
    }
    if (!thread.isAlive()) {
      if (thread.getState() == Thread.State.NEW && batchStep != null) {
        releaseOnce();
      }
      return;
    }
    if (Thread.currentThread() == thread) {
      return; // a listener shut the engine down: the loop ends after this step
    }
    try {
      thread.join(Math.max(1, wait.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      LOG.warn(
          "{}: a step is still running after {} ms; its native state is freed when it ends",
          name,
          wait.toMillis());
    }
  }

  /** Waits until the loop has ended and freed its native state. */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    thread.join(Math.max(1, timeout.toMillis()));
    return !thread.isAlive() && released.get();
  }

  // ---- the loop (engine thread)
  // -------------------------------------------------------------------

  private void run() {
    try {
      while (slots.isRunning() && round()) {
        // next round
      }
    } finally {
      releaseOnce();
    }
  }

  /**
   * One round: keep the sessions in the low slots, start new sessions, select, finish, step. False
   * when the thread was interrupted.
   */
  private boolean round() {
    List<S> fresh = new ArrayList<>();
    List<Move<S>> moves = new ArrayList<>();
    boolean busy = false;
    slots.lock();
    try {
      if (pacing.gather()) {
        slots.gather(s -> s.isClosed() ? -1 : batchStep.readySince(s));
      }
      // A session moves down when a lower slot frees, so that a step computes rows 0..n-1 only.
      slots.compact(
          (s, from, to) -> {
            s.moveTo(to);
            if (s.isStarted()) {
              moves.add(new Move<>(s, from, to)); // a fresh one's state is prepared where it lands
            }
          });
      for (int i = 0; i < slots.size(); i++) {
        S s = slots.get(i);
        if (s != null && !s.isClosed()) {
          if (s.isStarted()) {
            busy = true;
          } else {
            fresh.add(s);
          }
        }
      }
    } finally {
      slots.unlock();
    }
    for (Move<S> m : moves) {
      moveSession(m);
    }
    int starts = busy ? Math.min(pacing.startsWhileBusy(), fresh.size()) : fresh.size();
    for (int i = 0; i < starts; i++) {
      startSession(fresh.get(i));
    }

    S[] selected = newBatch.apply(slots.size());
    int rows = 0; // the step computes slots 0..rows-1: up to the highest that steps
    List<S> finished = new ArrayList<>();
    List<S> closing = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    boolean any = false;
    long waitNanos = IDLE_WAIT_NANOS;
    slots.lock();
    try {
      long now = System.nanoTime();
      for (int i = 0; i < slots.size(); i++) {
        S s = slots.get(i);
        if (s == null || s.isClosed() || !s.isStarted()) {
          continue;
        }
        Turn turn = batchStep.select(s, now);
        switch (turn.kind()) {
          case STEP -> {
            selected[i] = s;
            rows = i + 1;
            any = true;
          }
          case FINISH -> finished.add(s);
          case CLOSE -> {
            closing.add(s);
            reasons.add(turn.reason());
          }
          case WAIT -> waitNanos = Math.min(waitNanos, turn.waitNanos());
          case IDLE -> {}
        }
      }
      if (!any && finished.isEmpty() && closing.isEmpty() && starts == 0) {
        return slots.awaitWork(waitNanos);
      }
    } finally {
      slots.unlock();
    }
    for (S s : finished) {
      if (!s.isClosed()) {
        try {
          batchStep.finish(s);
        } catch (RuntimeException e) {
          LOG.error("{}: finishing a session failed", name, e);
          close(s, internalError(e));
        }
      }
    }
    for (int i = 0; i < closing.size(); i++) {
      close(closing.get(i), reasons.get(i));
    }
    if (any) {
      S[] batch = newBatch.apply(rows);
      System.arraycopy(selected, 0, batch, 0, rows);
      try {
        batchStep.step(batch);
        steps.incrementAndGet();
      } catch (RuntimeException e) {
        LOG.error("{}: step failed; closing the sessions in it", name, e);
        for (S s : batch) {
          if (s != null) {
            close(s, internalError(e));
          }
        }
      }
    }
    return true;
  }

  /** A started session that changed slot; its state has to follow it. */
  private record Move<S>(S session, int from, int to) {}

  /** The session's state follows it; a failure closes it (its state may be half moved). */
  private void moveSession(Move<S> m) {
    try {
      batchStep.move(m.from(), m.to());
    } catch (RuntimeException e) {
      LOG.error("{}: moving a session from slot {} to {} failed", name, m.from(), m.to(), e);
      close(m.session(), internalError(e));
    }
  }

  private void startSession(S session) {
    if (session.isClosed()) {
      return;
    }
    try {
      batchStep.start(session);
      session.markStarted();
    } catch (RuntimeException e) {
      LOG.warn("{}: could not start a session", name, e);
      close(session, "could not start: " + message(e));
    }
  }

  private boolean release(S session, String reason) {
    boolean done = slots.release(session, session::markClosed);
    if (done) {
      observer.sessionClosed(reason);
    }
    return done;
  }

  private void notifyClosed(S session, String reason) {
    try {
      session.notifyClosed(reason);
    } catch (RuntimeException e) {
      LOG.warn("{}: onClosed listener failed", name, e);
    }
  }

  private void releaseOnce() {
    if (released.compareAndSet(false, true)) {
      try {
        batchStep.release();
      } catch (RuntimeException e) {
        LOG.error("{}: freeing native state failed", name, e);
      }
    }
  }

  private static String internalError(RuntimeException e) {
    return "internal error: " + message(e);
  }

  private static String message(RuntimeException e) {
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  /** Whether the loop thread is still running (a step may be in progress after a shutdown). */
  public boolean isAlive() {
    return thread.isAlive();
  }

  @Override
  public String toString() {
    return name + " (" + slots.size() + " slots)";
  }
}
