package dev.parley.server.dialogue;

import dev.parley.server.engine.EngineFullException;
import dev.parley.server.engine.EngineLoop;
import dev.parley.server.engine.EngineObserver;
import dev.parley.server.model.SpeechModel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The batched dialogue engine of one device: a fixed pool of session slots and one loop thread
 * that, whenever any session has a complete 80 ms frame, steps every such session together
 * ({@link DialogueStep}). Slots without a frame sit the step out with their state untouched
 * (exec masks), so a stalled client never stalls the others. Transports only call
 * {@link DialogueSession} and never touch tensors.
 */
public final class DialogueEngine implements AutoCloseable {
  /** A step is due every 80 ms; one that takes longer is a deadline miss for each session in it. */
  public static final long FRAME_NANOS = 80_000_000L;

  private final SpeechModel model;
  private final int maxQueuedFrames;
  private final AtomicLong deadlineMisses = new AtomicLong();
  private final EngineLoop<DialogueSession> loop;

  public DialogueEngine(SpeechModel model, int maxSessions, int maxQueuedFrames, EngineObserver observer) {
    if (model.lm().config().depQ() == 0) {
      throw new IllegalArgumentException("model " + model.name() + " generates no audio: not a dialogue model");
    }
    this.model = model;
    this.maxQueuedFrames = maxQueuedFrames;
    DialogueStep step = new DialogueStep(model, maxSessions, observer, deadlineMisses);
    this.loop = new EngineLoop<>("parley-engine", maxSessions, step, DialogueSession[]::new, observer,
        EngineLoop.Pacing.REAL_TIME);
    step.attach(loop);
    loop.start();
  }

  public SpeechModel model() {
    return model;
  }

  public int maxSessions() {
    return loop.maxSessions();
  }

  /**
   * Opens a session in a free slot; its streaming state is reset by the engine thread before its
   * first step.
   *
   * @throws EngineFullException when every slot is taken
   * @throws IllegalStateException after {@link #shutdown}
   */
  public DialogueSession open(DialogueOptions options, DialogueListener listener) throws EngineFullException {
    return loop.open(s -> new DialogueSession(this, s, options, listener, maxQueuedFrames));
  }

  public int activeSessions() {
    return loop.activeSessions();
  }

  public long steps() {
    return loop.steps();
  }

  /** Session-steps, over all sessions, that ran longer than 80 ms. */
  public long deadlineMisses() {
    return deadlineMisses.get();
  }

  void wakeUp() {
    loop.wakeUp();
  }

  void close(DialogueSession session, String reason) {
    loop.close(session, reason);
  }

  /** Refuses new sessions, closes the open ones with {@code reason}; the native state is freed after the last step. */
  public void shutdown(String reason) {
    loop.shutdown(reason);
  }

  /** Waits until the loop has ended and freed the engine's native state. */
  public boolean awaitTermination(java.time.Duration timeout) throws InterruptedException {
    return loop.awaitTermination(timeout);
  }

  @Override
  public void close() {
    shutdown("server shutting down");
  }
}
