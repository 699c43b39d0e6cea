package dev.parley.server.dialogue;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.server.engine.BatchedEngine;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.engine.EngineLoop;
import dev.parley.server.engine.EngineObserver;
import dev.parley.server.model.SpeechModel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The batched dialogue engine of one device: a fixed pool of session slots and one loop thread
 * that, whenever any session has a complete 80 ms frame, steps every such session together ({@link
 * DialogueStep}). Slots without a frame sit the step out with their state untouched (exec masks),
 * so a stalled client never stalls the others. Transports only call {@link DialogueSession} and
 * never touch tensors.
 */
public final class DialogueEngine extends BatchedEngine<DialogueSession> {
  /** A step is due every 80 ms; one that takes longer is a deadline miss for each session in it. */
  public static final long FRAME_NANOS = ModelAudio.FRAME_NANOS;

  private final SpeechModel model;
  private final int maxQueuedFrames;
  private final AtomicLong deadlineMisses = new AtomicLong();

  public DialogueEngine(
      SpeechModel model, int maxSessions, int maxQueuedFrames, EngineObserver observer) {
    super(
        new EngineLoop<>(
            "parley-engine",
            maxSessions,
            DialogueSession[]::new,
            observer,
            EngineLoop.Pacing.REAL_TIME));
    if (model.lm().config().depQ() == 0) {
      throw new IllegalArgumentException(
          "model " + model.name() + " generates no audio: not a dialogue model");
    }
    this.model = model;
    this.maxQueuedFrames = maxQueuedFrames;
    loop.start(
        model.personaPlex().isPresent()
            ? new PersonaPlexDialogueStep(loop, model, maxSessions, observer, deadlineMisses)
            : new DialogueStep(loop, model, maxSessions, observer, deadlineMisses));
  }

  /** Whether sessions may carry a persona prompt ({@link DialogueOptions#prompt}). */
  public boolean acceptsPrompts() {
    return model.personaPlex().isPresent();
  }

  public SpeechModel model() {
    return model;
  }

  /**
   * Opens a session in a free slot; its streaming state is reset by the engine thread before its
   * first step.
   *
   * @throws EngineFullException when every slot is taken
   * @throws IllegalStateException after {@link #shutdown}
   */
  public DialogueSession open(DialogueOptions options, DialogueListener listener)
      throws EngineFullException {
    return loop.open(s -> new DialogueSession(s, options, listener, maxQueuedFrames));
  }

  /** Session-steps, over all sessions, that ran longer than 80 ms. */
  public long deadlineMisses() {
    return deadlineMisses.get();
  }
}
