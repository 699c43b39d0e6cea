package dev.parley.server.engine;

import dev.parley.codec.audio.FrameAssembler;
import dev.parley.codec.audio.ModelAudio;
import java.util.ArrayDeque;
import java.util.Locale;

/**
 * A session's audio input on its way to the engine: 24 kHz samples in pieces of any length are cut
 * into complete 80 ms frames, which wait, with the time each completed, in a bounded queue until a
 * step takes them. Audio that would overflow the queue is refused and the overflow is remembered,
 * so the session can be closed with {@link #overflowReason()}. Thread-safe.
 */
public final class InputFrames {

  private final int maxFrames;
  private final FrameAssembler assembler;
  private final ArrayDeque<float[]> frames = new ArrayDeque<>();
  private final ArrayDeque<Long> completedAt = new ArrayDeque<>();
  private final long openedNanos = System.nanoTime();
  private long samplesReceived;
  private long framesReceived;
  private boolean overflowed;

  public InputFrames(int maxFrames) {
    if (maxFrames < 1) {
      throw new IllegalArgumentException("need room for at least one queued frame");
    }
    this.maxFrames = maxFrames;
    this.assembler = new FrameAssembler(ModelAudio.FRAME_SAMPLES, this::completed);
  }

  /** Adds samples; returns false once the queue has overflowed (the frames that fit are kept). */
  public synchronized boolean push(float[] pcm, int offset, int length) {
    samplesReceived += length;
    assembler.push(pcm, offset, length);
    return !overflowed;
  }

  /** Completes a partial last frame with silence; returns the silent samples added. */
  public synchronized int flushWithSilence() {
    return assembler.flushWithSilence();
  }

  /**
   * The oldest complete frame and, in {@code completedNanos[0]}, when it completed; null if none.
   */
  public synchronized float[] poll(long[] completedNanos) {
    float[] f = frames.poll();
    if (f != null) {
      completedNanos[0] = completedAt.poll();
    }
    return f;
  }

  /** When the oldest waiting frame completed ({@link System#nanoTime()}), or -1 if none waits. */
  public synchronized long oldestCompletedAt() {
    Long t = completedAt.peek();
    return t == null ? -1 : t;
  }

  /** Complete frames waiting for a step. */
  public synchronized int queued() {
    return frames.size();
  }

  /** Frames completed so far, queued or taken. */
  public synchronized long framesReceived() {
    return framesReceived;
  }

  /** Samples received and not yet taken: queued frames and the partial one. */
  public synchronized int bufferedSamples() {
    return frames.size() * ModelAudio.FRAME_SAMPLES + assembler.pendingSamples();
  }

  public int maxFrames() {
    return maxFrames;
  }

  /**
   * Who is too fast: a client that sent more than a second beyond real time, or else a server that
   * fell behind real time (the queue filled although the client kept pace).
   */
  public String overflowReason() {
    double sentSeconds;
    synchronized (this) {
      sentSeconds = ModelAudio.seconds(samplesReceived);
    }
    double elapsedSeconds = (System.nanoTime() - openedNanos) / 1e9;
    String waiting = maxFrames + " frames (" + maxFrames * ModelAudio.FRAME_MILLIS + " ms) waiting";
    if (sentSeconds > elapsedSeconds + 1.0) {
      return String.format(
          Locale.ROOT,
          "input overflow: audio is arriving faster than real time (%.1f s sent in %.1f s; %s)",
          sentSeconds,
          elapsedSeconds,
          waiting);
    }
    return "server overloaded: it fell behind real time on this session (" + waiting + ")";
  }

  private void completed(float[] frame) {
    if (frames.size() >= maxFrames) {
      overflowed = true;
      return;
    }
    frames.add(frame);
    completedAt.add(System.nanoTime());
    framesReceived++;
  }
}
