package dev.parley.server.engine;

import dev.parley.codec.audio.FrameAssembler;
import java.util.ArrayDeque;

/**
 * One dialogue session as transports see it: 24 kHz audio in, {@link OutputFrame}s out. Audio may
 * arrive in pieces of any length; complete 1920-sample frames wait in a bounded queue until the
 * engine's next batched step takes one. A client that sends faster than real time fills the queue
 * and is closed with an error instead of being buffered without limit.
 */
public final class Session implements MeteredFeed.Target {
  private final DialogueEngine engine;
  final int slot;
  final SessionListener listener;
  final SessionOptions options;
  private final ArrayDeque<float[]> frames = new ArrayDeque<>();
  private final ArrayDeque<Long> frameTimes = new ArrayDeque<>();
  private final int maxQueuedFrames;
  private final FrameAssembler assembler;
  private final long openedNanos = System.nanoTime();
  private long samplesReceived;
  volatile long inputFrames;
  private long framesReceived;
  volatile long outputFrames;
  long deadlineMisses;
  volatile boolean closed;
  boolean initialized; // engine thread only

  Session(DialogueEngine engine, int slot, SessionOptions options, SessionListener listener, int maxQueuedFrames) {
    this.engine = engine;
    this.slot = slot;
    this.options = options;
    this.listener = listener;
    this.maxQueuedFrames = maxQueuedFrames;
    this.assembler = new FrameAssembler(FrameAssembler.MIMI_FRAME_SAMPLES, this::frameComplete);
  }

  /**
   * Feeds 24 kHz mono samples. Returns false (and closes the session with an error) when more
   * than the queue's worth of frames is waiting — the client is sending faster than real time.
   */
  @Override
  public boolean offerAudio(float[] pcm, int offset, int length) {
    if (closed) {
      return false;
    }
    synchronized (this) {
      samplesReceived += length;
      assembler.push(pcm, offset, length);
    }
    if (overflowed) {
      engine.closeSession(this, overflowReason());
      return false;
    }
    engine.wakeUp();
    return true;
  }

  private boolean overflowed;

  /**
   * Who is too fast: a client that sent more than a second beyond real time, or else a server
   * that fell behind real time (the queue filled although the client kept pace).
   */
  private String overflowReason() {
    double sentSeconds = samplesReceived / 24000.0;
    double elapsedSeconds = (System.nanoTime() - openedNanos) / 1e9;
    String waiting = maxQueuedFrames + " frames (" + maxQueuedFrames * 80 + " ms) waiting";
    if (sentSeconds > elapsedSeconds + 1.0) {
      return String.format(java.util.Locale.ROOT,
          "input overflow: audio is arriving faster than real time (%.1f s sent in %.1f s; %s)", sentSeconds,
          elapsedSeconds, waiting);
    }
    return "server overloaded: it fell behind real time on this session (" + waiting + ")";
  }

  private void frameComplete(float[] frame) {
    if (frames.size() >= maxQueuedFrames) {
      overflowed = true;
      return;
    }
    frames.add(frame);
    frameTimes.add(System.nanoTime());
    framesReceived++;
  }

  /** Complete frames waiting for a step. */
  @Override
  public synchronized int queuedFrames() {
    return frames.size();
  }

  /** Input frames completed so far (queued or consumed). */
  public synchronized long framesReceived() {
    return framesReceived;
  }

  /** Output frames the engine has produced so far. */
  public long framesProduced() {
    return outputFrames;
  }

  /** Input frames the engine has stepped so far. */
  public long framesConsumed() {
    return inputFrames;
  }

  /** The most frames this session may have waiting. */
  public int maxQueuedFrames() {
    return maxQueuedFrames;
  }

  /**
   * End of input: a partial last frame is completed with silence so the engine steps it too.
   * Returns the silent samples added (0 when no partial frame was waiting).
   */
  public int flushWithSilence() {
    int added;
    synchronized (this) {
      added = assembler.flushWithSilence();
    }
    if (added > 0) {
      engine.wakeUp();
    }
    return added;
  }

  /** The next complete frame and the time it completed, or null. */
  synchronized float[] pollFrame(long[] completedAt) {
    float[] f = frames.poll();
    if (f != null) {
      completedAt[0] = frameTimes.poll();
    }
    return f;
  }

  synchronized boolean hasFrame() {
    return !frames.isEmpty();
  }

  /** When the oldest waiting frame completed ({@link System#nanoTime()}), or -1 if none waits. */
  synchronized long oldestFrameTime() {
    Long t = frameTimes.peek();
    return t == null ? -1 : t;
  }

  /** Ends the session (the client left); its slot is freed before the next step. */
  public void close() {
    engine.closeSession(this, null);
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  public long deadlineMisses() {
    return deadlineMisses;
  }

  public int slot() {
    return slot;
  }
}
