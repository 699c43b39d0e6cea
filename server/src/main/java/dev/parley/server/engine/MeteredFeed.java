package dev.parley.server.engine;

import dev.parley.codec.audio.ModelAudio;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Audio (and markers placed in it) that a transport has decoded but not yet given to its session
 * ({@link Target}): the transport keeps it here and moves it in while the session's frame queue has
 * room, so a client sending a file faster than real time is transcribed at engine speed instead of
 * overflowing the queue. The transport slows the client down (gRPC flow control, or no more socket
 * reads) while this holds too much. Not thread-safe: the owner synchronizes.
 */
public final class MeteredFeed {
  /** What a feed fills: a session's bounded frame queue. */
  public interface Target {
    /** Complete frames waiting for a step. */
    int queuedFrames();

    boolean isClosed();

    /** Takes 24 kHz mono samples. */
    boolean offerAudio(float[] pcm, int offset, int length);

    /** A marker after the audio offered so far (sessions that have markers). */
    default void marker(long id) {
      throw new UnsupportedOperationException("this session has no markers");
    }
  }

  /**
   * How many frames may wait in a session's queue before the feed holds back: a few below the
   * queue's bound, so metered input never trips the session's own overflow.
   */
  public static int room(int maxQueuedFrames) {
    return Math.max(2, maxQueuedFrames - 5);
  }

  private final ArrayDeque<Object> pending = new ArrayDeque<>(); // float[] audio or Long marker ids
  private long pendingSamples;

  public void addAudio(float[] pcm, int offset, int length) {
    if (length > 0) {
      pending.add(Arrays.copyOfRange(pcm, offset, offset + length));
      pendingSamples += length;
    }
  }

  /** A marker after the audio added so far. */
  public void addMarker(long id) {
    pending.add(id);
  }

  public long pendingSamples() {
    return pendingSamples;
  }

  public boolean isEmpty() {
    return pending.isEmpty();
  }

  /**
   * Moves audio into {@code session}, a frame at a time, while fewer than {@code room} frames wait
   * in its queue; markers follow the audio before them. Returns true when nothing is left.
   */
  public boolean pumpInto(Target session, int room) {
    while (!pending.isEmpty() && session.queuedFrames() < room && !session.isClosed()) {
      Object head = pending.poll();
      if (head instanceof Long id) {
        session.marker(id);
        continue;
      }
      float[] pcm = (float[]) head;
      int n = Math.min(pcm.length, ModelAudio.FRAME_SAMPLES);
      pendingSamples -= n;
      session.offerAudio(pcm, 0, n);
      if (n < pcm.length) {
        pending.addFirst(Arrays.copyOfRange(pcm, n, pcm.length));
      }
    }
    return pending.isEmpty();
  }
}
