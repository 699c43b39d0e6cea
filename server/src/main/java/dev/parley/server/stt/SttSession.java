package dev.parley.server.stt;

import dev.parley.server.engine.MeteredFeed;

import dev.parley.codec.audio.FrameAssembler;
import java.util.ArrayDeque;
import java.util.Locale;

/**
 * One transcription session as transports see it: 24 kHz mono audio in (pieces of any length),
 * words out through its {@link SttListener}. Complete 1920-sample frames wait in a bounded queue
 * for the engine's next batched step; a client that sends faster than the server transcribes fills
 * it and the session is closed with an error. All methods are thread-safe and return at once.
 *
 * <p>Life cycle: the engine first feeds the model's silence prefix (no client audio needed), then
 * every client frame as it completes. {@link #endOfInput} pads a partial last frame with silence
 * and makes the engine feed {@link SttSettings#delayFrames} silent frames, so the words of the last
 * audio come out; then {@link SttListener#onTranscript} and {@link SttListener#onClosed}(null).
 * A session that never calls {@link #endOfInput} (a live microphone) stays open until
 * {@link #close}; its last words come out only as long as audio (or silence) keeps arriving.
 */
public final class SttSession implements MeteredFeed.Target {
  static final int FRAME = FrameAssembler.MIMI_FRAME_SAMPLES;

  private final SttEngine engine;
  final int slot;
  final SttListener listener;
  final SttOptions options;
  final SttSettings settings;
  private final int maxQueuedFrames;
  private final long openedNanos = System.nanoTime();

  // Guarded by this: what transports hand in.
  private final FrameAssembler assembler;
  private final ArrayDeque<float[]> frames = new ArrayDeque<>();
  private final ArrayDeque<Long> frameTimes = new ArrayDeque<>();
  private final ArrayDeque<long[]> markers = new ArrayDeque<>(); // {step that completes it, id}
  private long samplesReceived;
  private long framesReceived;
  private boolean overflowed;
  private boolean inputEnded;
  private long inputEndedNanos;

  // Engine thread only (volatile where transports read them).
  boolean initialized;
  int prefixRemaining;
  int flushRemaining = -1; // -1: the flush has not started
  volatile long stepsTaken;
  volatile long clientFramesConsumed;
  volatile long deadlineMisses;
  WordAssembler words;
  int endOfTurnHead = -1;
  boolean endOfTurnSignalled;
  volatile boolean closed;

  SttSession(SttEngine engine, int slot, SttOptions options, SttSettings settings, SttListener listener,
      int maxQueuedFrames) {
    this.engine = engine;
    this.slot = slot;
    this.options = options;
    this.settings = settings;
    this.listener = listener;
    this.maxQueuedFrames = maxQueuedFrames;
    this.prefixRemaining = settings.prefixFrames();
    this.assembler = new FrameAssembler(FRAME, this::frameComplete);
  }

  /**
   * Feeds 24 kHz mono samples in [-1, 1] (any count). Returns false when the session is closed,
   * or when this audio overflowed the queue, in which case the session is closed with an error
   * that says whether the client ran ahead of real time or the server fell behind.
   *
   * @throws IllegalArgumentException on a NaN or infinite sample (nothing is taken)
   * @throws IllegalStateException after {@link #endOfInput}
   */
  @Override
  public boolean offerAudio(float[] pcm, int offset, int length) {
    java.util.Objects.checkFromIndexSize(offset, length, pcm.length);
    for (int i = offset; i < offset + length; i++) {
      if (!Float.isFinite(pcm[i])) {
        throw new IllegalArgumentException("audio sample " + (i - offset) + " is " + pcm[i]);
      }
    }
    if (closed) {
      return false;
    }
    boolean overflow;
    synchronized (this) {
      if (inputEnded) {
        throw new IllegalStateException("audio after the end of input");
      }
      samplesReceived += length;
      assembler.push(pcm, offset, length);
      overflow = overflowed;
    }
    if (overflow) {
      engine.closeSession(this, overflowReason());
      return false;
    }
    engine.wakeUp();
    return true;
  }

  /**
   * Asks for {@link SttListener#onMarker}{@code (id)} once every sample sent so far has been
   * transcribed, that is {@link SttSettings#delayFrames} steps after its last frame was stepped
   * (moshi-server's rule). A live client must keep sending audio (silence) until then; after
   * {@link #endOfInput} the flush gets there by itself.
   */
  @Override
  public void marker(long id) {
    synchronized (this) {
      long frames = (samplesReceived + FRAME - 1) / FRAME;
      markers.add(new long[] {settings.prefixFrames() + frames + settings.delayFrames(), id});
    }
    engine.wakeUp();
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
      assembler.flushWithSilence();
      inputEnded = true;
      inputEndedNanos = System.nanoTime();
    }
    engine.wakeUp();
  }

  /** Ends the session now (the client left); no transcript follows. Its slot is freed before the next step. */
  public void close() {
    engine.closeSession(this, null);
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  /** Steps this session's model has taken (silence prefix and flush included). */
  public long stepsTaken() {
    return stepsTaken;
  }

  /** Client frames stepped so far. */
  public long framesConsumed() {
    return clientFramesConsumed;
  }

  /** Client frames completed so far (queued or stepped). */
  public synchronized long framesReceived() {
    return framesReceived;
  }

  /** Complete client frames waiting for a step. */
  @Override
  public synchronized int queuedFrames() {
    return frames.size();
  }

  /** Client samples received and not yet stepped (moshi-server's {@code buffered_pcm}). */
  public synchronized int bufferedSamples() {
    return frames.size() * FRAME + assembler.pendingSamples();
  }

  /** Steps that carried one of this session's client frames and ran longer than 80 ms. */
  public long deadlineMisses() {
    return deadlineMisses;
  }

  public SttSettings settings() {
    return settings;
  }

  public SttOptions options() {
    return options;
  }

  public int slot() {
    return slot;
  }

  // ---- engine side ------------------------------------------------------------------------------

  private void frameComplete(float[] frame) {
    if (frames.size() >= maxQueuedFrames) {
      overflowed = true;
      return;
    }
    frames.add(frame);
    frameTimes.add(System.nanoTime());
    framesReceived++;
  }

  private String overflowReason() {
    double sentSeconds;
    synchronized (this) {
      sentSeconds = samplesReceived / 24000.0;
    }
    double elapsedSeconds = (System.nanoTime() - openedNanos) / 1e9;
    String waiting = maxQueuedFrames + " frames (" + maxQueuedFrames * 80 + " ms) waiting";
    if (sentSeconds > elapsedSeconds + 1.0) {
      return String.format(Locale.ROOT,
          "input overflow: audio is arriving faster than real time (%.1f s sent in %.1f s; %s)", sentSeconds,
          elapsedSeconds, waiting);
    }
    return "server overloaded: it fell behind real time on this session (" + waiting + ")";
  }

  /** Where the next frame comes from. */
  enum Source { PREFIX, CLIENT, FLUSH }

  /**
   * When this session's next frame became available ({@link System#nanoTime()}), or -1 if it has
   * none: the silence prefix counts from the session's opening, the flush from the end of input.
   */
  synchronized long readySince() {
    if (prefixRemaining > 0) {
      return openedNanos;
    }
    Long t = frameTimes.peek();
    if (t != null) {
      return t;
    }
    if (inputEnded && flushRemaining != 0) {
      return inputEndedNanos;
    }
    return -1;
  }

  /** The next frame to step (written into {@code pcm[0]}), its source and completion time; null if none. */
  synchronized Source nextFrame(float[][] pcm, long[] completedAt) {
    if (prefixRemaining > 0) {
      prefixRemaining--;
      pcm[0] = new float[FRAME];
      completedAt[0] = openedNanos;
      return Source.PREFIX;
    }
    float[] f = frames.poll();
    if (f != null) {
      pcm[0] = f;
      completedAt[0] = frameTimes.poll();
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
    return inputEnded && prefixRemaining == 0 && frames.isEmpty() && flushRemaining == 0;
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
