package dev.parley.server.stt;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.server.engine.EngineSession;
import dev.parley.server.engine.InputFrames;
import dev.parley.server.engine.MeteredFeed;
import dev.parley.server.engine.StepCounters;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * One transcription session as transports see it: 24 kHz mono audio in (pieces of any length),
 * words out through its {@link SttListener}. Complete 1920-sample frames wait in a bounded queue
 * for the engine's next batched step; a client that sends faster than the server transcribes fills
 * it and the session is closed with an error. All methods are thread-safe and return at once.
 *
 * <p>Life cycle: the engine first feeds the model's silence prefix (no client audio needed), then
 * every client frame as it completes. {@link #endOfInput} pads a partial last frame with silence
 * and makes the engine feed {@link SttSettings#delayFrames} silent frames, so the words of the last
 * audio come out; then {@link SttListener#onTranscript} and {@link SttListener#onClosed}(null). A
 * session that never calls {@link #endOfInput} (a live microphone) stays open until {@link #close};
 * its last words come out only as long as audio (or silence) keeps arriving.
 */
public final class SttSession extends EngineSession implements MeteredFeed.Target {
  static final int FRAME = ModelAudio.FRAME_SAMPLES;

  /** Where the next frame comes from. */
  enum Source {
    PREFIX,
    CLIENT,
    FLUSH
  }

  private final SttListener listener;
  private final SttOptions options;
  private final SttSettings settings;
  private final long openedNanos = System.nanoTime();
  private final InputFrames input;
  private final StepCounters counters = new StepCounters();

  // Guarded by this: what transports hand in beside the audio.
  private final ArrayDeque<long[]> markers = new ArrayDeque<>(); // {step that completes it, id}
  private long samplesOffered;
  private boolean inputEnded;
  private long inputEndedNanos;
  private int prefixRemaining;
  private int flushRemaining = -1; // -1: the flush has not started

  // Engine thread only.
  private final WordAssembler words;
  private final int endOfTurnHead;
  private boolean endOfTurnSignalled;

  SttSession(
      int slot,
      SttOptions options,
      SttSettings settings,
      SttListener listener,
      int maxQueuedFrames,
      WordAssembler words,
      int endOfTurnHead) {
    super(slot);
    this.options = options;
    this.settings = settings;
    this.listener = listener;
    this.input = new InputFrames(maxQueuedFrames);
    this.prefixRemaining = settings.prefixFrames();
    this.words = words;
    this.endOfTurnHead = endOfTurnHead;
  }

  /**
   * Feeds 24 kHz mono samples in [-1, 1] (any count). Returns false when the session is closed, or
   * when this audio overflowed the queue, in which case the session is closed with an error that
   * says whether the client ran ahead of real time or the server fell behind.
   *
   * @throws IllegalArgumentException on a NaN or infinite sample (nothing is taken)
   * @throws IllegalStateException after {@link #endOfInput}
   */
  @Override
  public boolean offerAudio(float[] pcm, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, pcm.length);
    for (int i = offset; i < offset + length; i++) {
      if (!Float.isFinite(pcm[i])) {
        throw new IllegalArgumentException("audio sample " + (i - offset) + " is " + pcm[i]);
      }
    }
    if (isClosed()) {
      return false;
    }
    boolean fits;
    synchronized (this) {
      if (inputEnded) {
        throw new IllegalStateException("audio after the end of input");
      }
      samplesOffered += length;
      fits = input.push(pcm, offset, length);
    }
    if (!fits) {
      endSession(input.overflowReason());
      return false;
    }
    wakeEngine();
    return true;
  }

  /**
   * Asks for {@link SttListener#onMarker}{@code (id)} once every sample sent so far has been
   * transcribed, that is {@link SttSettings#delayFrames} steps after its last frame was stepped
   * (moshi-server's rule). A live client must keep sending audio (silence) until then; after {@link
   * #endOfInput} the flush gets there by itself.
   */
  @Override
  public void marker(long id) {
    synchronized (this) {
      long frames = (samplesOffered + FRAME - 1) / FRAME;
      markers.add(new long[] {settings.prefixFrames() + frames + settings.delayFrames(), id});
    }
    wakeEngine();
  }

  /**
   * No more audio: a partial last frame is completed with silence, the model is flushed with the
   * text delay's worth of silence, the final transcript is delivered and the session closes.
   * Calling it again does nothing.
   */
  public void endOfInput() {
    synchronized (this) {
      if (inputEnded) {
        return;
      }
      input.flushWithSilence();
      inputEnded = true;
      inputEndedNanos = System.nanoTime();
    }
    wakeEngine();
  }

  /**
   * Ends the session now (the client left); no transcript follows. Its slot is freed before the
   * next step.
   */
  public void close() {
    endSession(null);
  }

  /** Steps this session's model has taken (silence prefix and flush included). */
  public long stepsTaken() {
    return counters.steps();
  }

  /** Client frames stepped so far. */
  public long framesConsumed() {
    return counters.inputFrames();
  }

  /** Client frames completed so far (queued or stepped). */
  public long framesReceived() {
    return input.framesReceived();
  }

  /** Complete client frames waiting for a step. */
  @Override
  public int queuedFrames() {
    return input.queued();
  }

  /** Client samples received and not yet stepped (moshi-server's {@code buffered_pcm}). */
  public int bufferedSamples() {
    return input.bufferedSamples();
  }

  /** Steps that carried one of this session's client frames and ran longer than 80 ms. */
  public long deadlineMisses() {
    return counters.deadlineMisses();
  }

  public SttSettings settings() {
    return settings;
  }

  public SttOptions options() {
    return options;
  }

  @Override
  protected void notifyClosed(String reason) {
    listener.onClosed(reason);
  }

  // ---- engine side ------------------------------------------------------------------------------

  SttListener listener() {
    return listener;
  }

  StepCounters counters() {
    return counters;
  }

  WordAssembler words() {
    return words;
  }

  /** The extra head that signals the end of a turn, or -1. */
  int endOfTurnHead() {
    return endOfTurnHead;
  }

  /** Engine thread: whether the end of the current pause was signalled already; sets it. */
  boolean signalEndOfTurn() {
    boolean first = !endOfTurnSignalled;
    endOfTurnSignalled = true;
    return first;
  }

  /** Engine thread: a text token arrived, so the next pause may be signalled. */
  void textSeen() {
    endOfTurnSignalled = false;
  }

  /**
   * When this session's next frame became available ({@link System#nanoTime()}), or -1 if it has
   * none: the silence prefix counts from the session's opening, the flush from the end of input.
   */
  synchronized long readySince() {
    if (prefixRemaining > 0) {
      return openedNanos;
    }
    long t = input.oldestCompletedAt();
    if (t >= 0) {
      return t;
    }
    if (inputEnded && flushRemaining != 0) {
      return inputEndedNanos;
    }
    return -1;
  }

  /**
   * The next frame to step (written into {@code pcm[0]}), its source and completion time; null if
   * none.
   */
  synchronized Source nextFrame(float[][] pcm, long[] completedAt) {
    if (prefixRemaining > 0) {
      prefixRemaining--;
      pcm[0] = new float[FRAME];
      completedAt[0] = openedNanos;
      return Source.PREFIX;
    }
    float[] f = input.poll(completedAt);
    if (f != null) {
      pcm[0] = f;
      return Source.CLIENT;
    }
    if (inputEnded) {
      if (flushRemaining < 0) {
        flushRemaining = settings.delayFrames();
      }
      if (flushRemaining > 0) {
        flushRemaining--;
        pcm[0] = new float[FRAME];
        completedAt[0] = inputEndedNanos;
        return Source.FLUSH;
      }
    }
    return null;
  }

  /** Whether the input ended and every frame, the flush included, has been stepped. */
  synchronized boolean finishedInput() {
    return inputEnded && prefixRemaining == 0 && input.queued() == 0 && flushRemaining == 0;
  }

  /** Removes and returns the ids of the markers complete after {@code steps} steps. */
  synchronized long[] dueMarkers(long steps, boolean all) {
    int n = 0;
    for (long[] m : markers) {
      if (all || m[0] <= steps) {
        n++;
      } else {
        break;
      }
    }
    long[] ids = new long[n];
    for (int i = 0; i < n; i++) {
      ids[i] = markers.poll()[1];
    }
    return ids;
  }
}
