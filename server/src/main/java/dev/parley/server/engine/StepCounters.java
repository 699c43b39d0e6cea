package dev.parley.server.engine;

/**
 * What the engine counts for one session, written by the engine thread alone and read by transports
 * on theirs: every field is volatile, and a single writer makes the increments safe.
 */
public final class StepCounters {
  private volatile long steps;
  private volatile long inputFrames;
  private volatile long outputFrames;
  private volatile long deadlineMisses;

  /** Engine thread: the session took part in a step; returns the steps so far. */
  public long stepped() {
    long n = steps + 1;
    steps = n;
    return n;
  }

  /** Engine thread: one input frame was stepped, {@code late} if its step missed the deadline. */
  public long inputFrameStepped(boolean late) {
    if (late) {
      deadlineMisses = deadlineMisses + 1;
    }
    long n = inputFrames + 1;
    inputFrames = n;
    return n;
  }

  /** Engine thread: one output frame was produced; returns its index. */
  public long outputFrameProduced() {
    long index = outputFrames;
    outputFrames = index + 1;
    return index;
  }

  /** Steps the session has taken part in. */
  public long steps() {
    return steps;
  }

  /** Input frames stepped. */
  public long inputFrames() {
    return inputFrames;
  }

  /** Output frames produced. */
  public long outputFrames() {
    return outputFrames;
  }

  /** Input frames stepped later than the deadline. */
  public long deadlineMisses() {
    return deadlineMisses;
  }
}
