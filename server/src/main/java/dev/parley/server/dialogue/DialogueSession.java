package dev.parley.server.dialogue;

import dev.parley.server.engine.EngineSession;
import dev.parley.server.engine.InputFrames;
import dev.parley.server.engine.MeteredFeed;
import dev.parley.server.engine.StepCounters;

/**
 * One dialogue session as transports see it: 24 kHz audio in, {@link OutputFrame}s out. Audio may
 * arrive in pieces of any length; complete 1920-sample frames wait in a bounded queue until the
 * engine's next batched step takes one. A client that sends faster than real time fills the queue
 * and is closed with an error instead of being buffered without limit. Thread-safe.
 */
public final class DialogueSession extends EngineSession implements MeteredFeed.Target {
  private final DialogueListener listener;
  private final DialogueOptions options;
  private final InputFrames input;
  private final StepCounters counters = new StepCounters();

  DialogueSession(
      int slot, DialogueOptions options, DialogueListener listener, int maxQueuedFrames) {
    super(slot);
    this.options = options;
    this.listener = listener;
    this.input = new InputFrames(maxQueuedFrames);
  }

  /**
   * Feeds 24 kHz mono samples. Returns false (and closes the session with an error) when more than
   * the queue's worth of frames is waiting — the client is sending faster than real time.
   */
  @Override
  public boolean offerAudio(float[] pcm, int offset, int length) {
    if (isClosed()) {
      return false;
    }
    if (!input.push(pcm, offset, length)) {
      endSession(input.overflowReason());
      return false;
    }
    wakeEngine();
    return true;
  }

  /**
   * End of input: a partial last frame is completed with silence so the engine steps it too.
   * Returns the silent samples added (0 when no partial frame was waiting).
   */
  public int flushWithSilence() {
    int added = input.flushWithSilence();
    if (added > 0) {
      wakeEngine();
    }
    return added;
  }

  /** Ends the session (the client left); its slot is freed before the next step. */
  public void close() {
    endSession(null);
  }

  /** Complete frames waiting for a step. */
  @Override
  public int queuedFrames() {
    return input.queued();
  }

  /** Input frames completed so far (queued or consumed). */
  public long framesReceived() {
    return input.framesReceived();
  }

  /** Output frames the engine has produced so far. */
  public long framesProduced() {
    return counters.outputFrames();
  }

  /** Input frames the engine has stepped so far. */
  public long framesConsumed() {
    return counters.inputFrames();
  }

  /** Input frames stepped later than 80 ms. */
  public long deadlineMisses() {
    return counters.deadlineMisses();
  }

  /** The most frames this session may have waiting. */
  public int maxQueuedFrames() {
    return input.maxFrames();
  }

  DialogueOptions options() {
    return options;
  }

  DialogueListener listener() {
    return listener;
  }

  InputFrames input() {
    return input;
  }

  StepCounters counters() {
    return counters;
  }

  @Override
  protected void notifyClosed(String reason) {
    listener.onClosed(reason);
  }
}
