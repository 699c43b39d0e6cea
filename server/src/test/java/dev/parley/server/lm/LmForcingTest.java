package dev.parley.server.lm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Teacher forcing in {@link LmGen} (a prompt's prefill on a Moshi model), on the demo LM. */
class LmForcingTest {
  static final int STEPS = 8;
  static SpeechModel model;
  static long[][] input;

  @BeforeAll
  static void load() {
    model = DemoModel.build(Device.cpu());
    SplittableRandom r = new SplittableRandom(4);
    input = new long[STEPS][8];
    for (long[] codes : input) {
      for (int q = 0; q < codes.length; q++) {
        codes[q] = r.nextInt(model.lm().config().card());
      }
    }
  }

  @AfterAll
  static void close() {
    model.close();
  }

  /** Greedy frames of one slot (null until the delays fill), with {@code forced[t]} at step t. */
  static List<long[]> run(LmGen.Forced[] forced) {
    List<long[]> frames = new ArrayList<>();
    try (LmGen gen = new LmGen(model.lm(), 2, model.manager())) {
      for (int t = 0; t < STEPS; t++) {
        // Slot 1 steps alongside with nothing forced: forcing is per slot.
        LmGen.Step s =
            gen.step(
                new long[][] {input[t], input[t]},
                new boolean[] {true, true},
                new LmGen.Forced[] {forced[t], null});
        frames.add(s.produced()[0] ? s.frame()[0] : null);
      }
    }
    return frames;
  }

  @Test
  void forcedTokensComeOutAsTheFrameOfTheStepTheyWereGivenAt() {
    int maxDelay = model.lm().config().maxDelay();
    long[] agent = {1, 2, 3, 4, 5, 6, 7, 8};
    LmGen.Forced[] forced = new LmGen.Forced[STEPS];
    forced[2] = new LmGen.Forced(agent, 9);
    List<long[]> frames = run(forced);
    // The frame realigned across the delays for step 2 is read maxDelay steps later.
    assertThat(frames.get(2 + maxDelay)).containsExactly(9, 1, 2, 3, 4, 5, 6, 7, 8);
    List<long[]> free = run(new LmGen.Forced[STEPS]);
    // Steps before 2 are untouched (later ones generate delayed codebooks after the forced ones).
    for (int t = 0; t < 2; t++) {
      assertThat(frames.get(t)).as("step %d, before", t).isEqualTo(free.get(t));
    }
    assertThat(frames.subList(3 + maxDelay, STEPS))
        .as("the model heard them")
        .isNotEqualTo(free.subList(3 + maxDelay, STEPS));
  }

  @Test
  void forcingTheTokensAGreedyRunSampledChangesNothing() {
    int maxDelay = model.lm().config().maxDelay();
    List<long[]> free = run(new LmGen.Forced[STEPS]);
    LmGen.Forced[] forced = new LmGen.Forced[STEPS];
    for (int t = 0; t + maxDelay < STEPS; t++) {
      long[] f = free.get(t + maxDelay);
      forced[t] = new LmGen.Forced(java.util.Arrays.copyOfRange(f, 1, f.length), f[0]);
    }
    List<long[]> again = run(forced);
    for (int t = 0; t < STEPS; t++) {
      assertThat(again.get(t)).as("step %d", t).isEqualTo(free.get(t));
    }
  }
}
