package dev.parley.server.dialogue;

import dev.parley.server.engine.Turn;

/**
 * When a prefilling session steps. It rides along in every step that live sessions' frames make
 * (one more row, no step of its own); between those it steps alone only while a step is expected to
 * end before the next live frame is due, so that a live frame never waits behind a prefill. A live
 * session whose frame is a whole frame overdue is taken as paused and no longer holds the prefill
 * back. Engine thread only.
 */
final class PrefillPacing {
  /** The 80 ms frame clock the live sessions' frames arrive on. */
  static final long FRAME_NANOS = DialogueEngine.FRAME_NANOS;

  /** Room left between the end of an alone step and the next live frame, for clock jitter. */
  static final long MARGIN_NANOS = 3_000_000L;

  /** No live session is due: the prefill may step alone at once. */
  static final long NONE_DUE = Long.MAX_VALUE;

  private long aloneStepNanos; // the slowest recent step of prefills alone, decaying

  /** A step of prefilling sessions only took {@code nanos}. */
  void aloneStepTook(long nanos) {
    aloneStepNanos = Math.max(nanos, aloneStepNanos - aloneStepNanos / 16);
  }

  /** What an alone step is expected to take. */
  long expectedAloneStepNanos() {
    return aloneStepNanos;
  }

  /**
   * When a live session that received a frame at {@code lastFrameNanos} (or never: -1) is due to
   * receive its next one, as seen at {@code nowNanos}; {@link #NONE_DUE} if it never did or it is
   * paused.
   */
  static long nextDue(long lastFrameNanos, long nowNanos) {
    if (lastFrameNanos < 0) {
      return NONE_DUE;
    }
    long due = lastFrameNanos + FRAME_NANOS;
    return nowNanos - due > FRAME_NANOS ? NONE_DUE : due;
  }

  /**
   * The prefill's turn at {@code nowNanos}: {@code liveFrameNow} when some live session steps in
   * this round; otherwise {@code due} is the earliest {@link #nextDue} over the live sessions.
   */
  Turn turn(boolean liveFrameNow, long due, long nowNanos) {
    if (liveFrameNow || due == NONE_DUE) {
      return Turn.STEP;
    }
    if (nowNanos + aloneStepNanos + MARGIN_NANOS <= due) {
      return Turn.STEP;
    }
    // Wait for the live frame (its arrival wakes the loop), or until it counts as paused.
    return Turn.waitNanos(Math.max(1, due + FRAME_NANOS + 1 - nowNanos));
  }
}
