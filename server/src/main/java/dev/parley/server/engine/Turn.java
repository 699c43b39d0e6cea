package dev.parley.server.engine;

/** What a session does in the coming engine step, as its engine decides under the slot lock. */
public record Turn(Kind kind, long waitNanos, String reason) {
  /** The kinds of turn. */
  public enum Kind {
    /** Nothing to do until something wakes the loop. */
    IDLE,
    /** Nothing now; look again after {@link #waitNanos}. */
    WAIT,
    /** The session takes part in this step. */
    STEP,
    /** Its work is done: the engine delivers its last events and frees the slot. */
    FINISH,
    /** It is closed with {@link #reason}. */
    CLOSE
  }

  public static final Turn IDLE = new Turn(Kind.IDLE, 0, null);
  public static final Turn STEP = new Turn(Kind.STEP, 0, null);
  public static final Turn FINISH = new Turn(Kind.FINISH, 0, null);

  public static Turn waitNanos(long nanos) {
    return nanos <= 0 ? STEP : new Turn(Kind.WAIT, nanos, null);
  }

  public static Turn close(String reason) {
    return new Turn(Kind.CLOSE, 0, reason);
  }
}
