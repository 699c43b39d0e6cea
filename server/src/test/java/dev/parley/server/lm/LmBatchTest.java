package dev.parley.server.lm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.torch.TorchRuntime;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sessions stepped together in one batch give exactly what each gives alone (greedy), also when
 * they join late, sit out steps, and when a slot is reset for a new session. The lm_tiny context
 * (12) is shorter than the runs, so the KV rings wrap at different points for different slots.
 */
class LmBatchTest {
  static NDManager manager;
  static LmModel lm;

  @BeforeAll
  static void load() throws IOException {
    manager = TorchRuntime.newManager();
    lm =
        LmModel.load(
            Golden.path("lm_tiny.safetensors"),
            LmConfig.fromJson(Golden.path("lm_tiny.config.json")),
            manager,
            DataType.FLOAT32);
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  /** A session's input codes, one array of 4 user codes per step. */
  static long[][] inputs(long seed, int steps) {
    SplittableRandom r = new SplittableRandom(seed);
    long[][] in = new long[steps][4];
    for (long[] step : in) {
      for (int k = 0; k < 4; k++) {
        step[k] = r.nextInt(64);
      }
    }
    return in;
  }

  /** Frames the session produces alone. */
  static List<long[]> alone(long[][] in) {
    List<long[]> frames = new ArrayList<>();
    try (LmGen gen = new LmGen(lm, 1, manager)) {
      for (long[] step : in) {
        LmGen.Step s = gen.step(new long[][] {step}, new boolean[] {true});
        frames.add(s.produced()[0] ? s.frame()[0] : null);
      }
    }
    return frames;
  }

  @Test
  void batchedSessionsEqualSoloSessions() {
    int steps = 30;
    long[][] a = inputs(1, steps);
    long[][] b = inputs(2, 20);
    long[][] c1 = inputs(3, 10);
    long[][] c2 = inputs(4, 15);
    // Slot 0: session a from step 0. Slot 1: session b joins at step 4, pauses at steps 10..12.
    // Slot 2: session c1 on steps 0..9, then reset and session c2 on steps 12..26.
    List<long[]> gotA = new ArrayList<>();
    List<long[]> gotB = new ArrayList<>();
    List<long[]> gotC1 = new ArrayList<>();
    List<long[]> gotC2 = new ArrayList<>();
    int bi = 0;
    int c2i = 0;
    try (LmGen gen = new LmGen(lm, 3, manager)) {
      for (int t = 0; t < steps; t++) {
        long[][] in = new long[3][];
        boolean[] active = new boolean[3];
        in[0] = a[t];
        active[0] = true;
        boolean bActive = t >= 4 && !(t >= 10 && t <= 12) && bi < b.length;
        if (bActive) {
          in[1] = b[bi++];
          active[1] = true;
        }
        if (t < 10) {
          in[2] = c1[t];
          active[2] = true;
        } else if (t == 11) {
          gen.reset(2);
        } else if (t >= 12 && c2i < c2.length) {
          in[2] = c2[c2i++];
          active[2] = true;
        }
        LmGen.Step s = gen.step(in, active);
        gotA.add(s.produced()[0] ? s.frame()[0] : null);
        if (active[1]) {
          gotB.add(s.produced()[1] ? s.frame()[1] : null);
        } else {
          assertThat(s.frame()[1]).containsOnly(LmGen.UNGENERATED);
        }
        if (active[2]) {
          (t < 10 ? gotC1 : gotC2).add(s.produced()[2] ? s.frame()[2] : null);
        }
      }
    }
    assertSame(gotA, alone(a));
    assertSame(gotB, alone(java.util.Arrays.copyOf(b, gotB.size())));
    assertSame(gotC1, alone(c1));
    assertSame(gotC2, alone(c2));
    assertThat(gotB).hasSize(20);
    assertThat(gotC2).hasSize(15);
  }

  private static void assertSame(List<long[]> batched, List<long[]> solo) {
    assertThat(batched).hasSameSizeAs(solo);
    for (int i = 0; i < solo.size(); i++) {
      if (solo.get(i) == null) {
        assertThat(batched.get(i)).as("step %d", i).isNull();
      } else {
        assertThat(batched.get(i)).as("step %d", i).containsExactly(solo.get(i));
      }
    }
  }

  @Test
  void aSeedReproducesASampledRunAndAnotherSeedDoesNot() {
    SamplingParams text = new SamplingParams(0.7, 25, 0);
    SamplingParams audio = new SamplingParams(0.8, 250, 0);
    long[][] in = inputs(9, 25);
    List<Long> run1 = sampled(in, text, audio, 42);
    List<Long> run2 = sampled(in, text, audio, 42);
    List<Long> run3 = sampled(in, text, audio, 43);
    assertThat(run1).isEqualTo(run2);
    assertThat(run1).isNotEqualTo(run3);
  }

  /**
   * A sampled session that sits steps out while its neighbour steps (a client whose frames come
   * late) gets the tokens it gets alone: its random stream moves only on its own steps.
   */
  @Test
  void aSampledSessionThatSitsStepsOutGetsWhatItGetsAlone() {
    SamplingParams text = new SamplingParams(0.7, 25, 0);
    SamplingParams audio = new SamplingParams(0.8, 250, 0);
    long[][] mine = inputs(11, 16);
    long[][] neighbour = inputs(12, 24);
    List<Long> batched = new ArrayList<>();
    try (LmGen gen = new LmGen(lm, 2, manager)) {
      gen.configure(0, text, audio, 5);
      gen.configure(1, text, audio, 77);
      int next = 0;
      for (int t = 0; t < neighbour.length; t++) {
        boolean myTurn = t % 3 != 1 && next < mine.length; // every third step: no frame yet
        LmGen.Step s =
            gen.step(
                new long[][] {neighbour[t], myTurn ? mine[next] : null},
                new boolean[] {true, myTurn});
        if (myTurn) {
          next++;
          batched.add(s.textToken()[1]);
          for (long tok : s.audioTokens()[1]) {
            batched.add(tok);
          }
        }
      }
      assertThat(next).isEqualTo(mine.length);
    }
    List<Long> solo = new ArrayList<>();
    try (LmGen gen = new LmGen(lm, 1, manager)) {
      gen.configure(0, text, audio, 77);
      for (long[] step : mine) {
        LmGen.Step s = gen.step(new long[][] {step}, new boolean[] {true});
        solo.add(s.textToken()[0]);
        for (long tok : s.audioTokens()[0]) {
          solo.add(tok);
        }
      }
    }
    assertThat(batched).isEqualTo(solo);
  }

  private static List<Long> sampled(
      long[][] in, SamplingParams text, SamplingParams audio, long seed) {
    List<Long> tokens = new ArrayList<>();
    try (LmGen gen = new LmGen(lm, 2, manager)) {
      gen.configure(0, text, audio, seed);
      gen.configure(
          1, text, audio, 1000); // a neighbour with its own stream must not disturb slot 0
      for (long[] step : in) {
        LmGen.Step s = gen.step(new long[][] {step, step}, new boolean[] {true, true});
        tokens.add(s.textToken()[0]);
        for (long t : s.audioTokens()[0]) {
          tokens.add(t);
        }
      }
    }
    return tokens;
  }
}
