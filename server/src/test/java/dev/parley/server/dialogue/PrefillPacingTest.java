package dev.parley.server.dialogue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.server.engine.Turn;
import org.junit.jupiter.api.Test;

/** The prefill's pacing decisions, on made-up clock readings. */
class PrefillPacingTest {
  static final long MS = 1_000_000L;
  static final long FRAME = PrefillPacing.FRAME_NANOS;

  @Test
  void aPrefillRidesAlongWhenALiveFrameStepsAndStepsAloneWhenNoLiveSessionIsDue() {
    PrefillPacing p = new PrefillPacing();
    p.aloneStepTook(50 * MS);
    assertThat(p.turn(true, 1_000 * MS, 999 * MS)).isEqualTo(Turn.STEP);
    assertThat(p.turn(false, PrefillPacing.NONE_DUE, 999 * MS)).isEqualTo(Turn.STEP);
  }

  @Test
  void anAloneStepRunsOnlyIfItEndsBeforeTheNextLiveFrameIsDue() {
    PrefillPacing p = new PrefillPacing();
    p.aloneStepTook(10 * MS);
    long due = 1_000 * MS;
    long roomy = due - 10 * MS - PrefillPacing.MARGIN_NANOS;
    assertThat(p.turn(false, due, roomy)).isEqualTo(Turn.STEP);
    Turn tight = p.turn(false, due, roomy + 1);
    assertThat(tight.kind()).isEqualTo(Turn.Kind.WAIT);
    // It waits until the live frame counts as overdue by a whole frame (or arrives and wakes it).
    assertThat(roomy + 1 + tight.waitNanos()).isEqualTo(due + FRAME + 1);
  }

  @Test
  void aLiveSessionIsDueOneFrameAfterItsLastAndPausedOnceAWholeFrameOverdue() {
    long last = 500 * MS;
    assertThat(PrefillPacing.nextDue(-1, last)).isEqualTo(PrefillPacing.NONE_DUE);
    assertThat(PrefillPacing.nextDue(last, last + 1)).isEqualTo(last + FRAME);
    assertThat(PrefillPacing.nextDue(last, last + 2 * FRAME)).isEqualTo(last + FRAME);
    assertThat(PrefillPacing.nextDue(last, last + 2 * FRAME + 1)).isEqualTo(PrefillPacing.NONE_DUE);
  }

  @Test
  void theAloneStepEstimateFollowsTheSlowestRecentStepAndDecays() {
    PrefillPacing p = new PrefillPacing();
    p.aloneStepTook(16 * MS);
    p.aloneStepTook(4 * MS);
    assertThat(p.expectedAloneStepNanos()).isEqualTo(15 * MS);
    p.aloneStepTook(40 * MS);
    assertThat(p.expectedAloneStepNanos()).isEqualTo(40 * MS);
  }
}
