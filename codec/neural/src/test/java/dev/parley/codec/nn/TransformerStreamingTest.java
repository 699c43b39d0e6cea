package dev.parley.codec.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.parley.codec.testing.Diff;
import dev.parley.codec.torch.TorchRuntime;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Streaming transformer against whole-sequence calls, with the reference's ring KV cache rule (the
 * reference streams Mimi this way): a call of T steps writes all T keys before attending, so once
 * the ring of capacity C has wrapped, the query at index i of the call sees only C − (T−1−i) keys.
 * Consequences checked here: with C ≥ the sequence, any chunking equals the whole sequence; with T
 * = 1 per call, streaming equals the whole sequence with context C; with T > 1 they agree only
 * while positions < C, and for one layer the streaming output at index i of a call equals the
 * whole-sequence output with context C − (T−1−i).
 */
class TransformerStreamingTest {
  static final int D = 16;
  static final int STEPS = 12;
  static NDManager manager;

  @BeforeAll
  static void start() {
    manager = TorchRuntime.newManager();
  }

  @AfterAll
  static void stop() {
    manager.close();
  }

  static TransformerConfig config(int layers, int context, String norm, String gating) {
    return new TransformerConfig(
        D, 2, layers, 4 * D, true, context, norm, gating, "rope", 10000, 0.01, 0, null);
  }

  /** The same (name-seeded) weights for any context. */
  static Transformer transformer(NDManager m, int layers, int context, String norm, String gating) {
    return new Transformer(
        new KnownParameters(m, 5), "transformer.", config(layers, context, norm, gating));
  }

  static NDArray input(NDManager m, int batch, long seed) {
    return m.create(StreamingConv1dTest.input(batch, STEPS, D, seed), new Shape(batch, STEPS, D));
  }

  /** Streams x [B, T, D] through {@code chunks} calls and returns the concatenated outputs. */
  static float[] stream(Transformer t, NDArray x, int... chunks) {
    int batch = (int) x.getShape().get(0);
    Transformer.State state = t.newState(x.getManager(), batch);
    NDList outs = new NDList();
    int at = 0;
    for (int c : chunks) {
      outs.add(t.step(x.get(new NDIndex(":, {}:{}", at, at + c)), state, ExecMask.all(batch)));
      at += c;
    }
    assertThat(at).isEqualTo(x.getShape().get(1));
    return NDArrays.concat(outs, 1).toFloatArray();
  }

  static int[] repeat(int size, int total) {
    int[] c = new int[total / size];
    Arrays.fill(c, size);
    return c;
  }

  /** Position p of a [1, T, D] output. */
  static float[] position(float[] y, int p) {
    return Arrays.copyOfRange(y, p * D, (p + 1) * D);
  }

  static double tolerance(float[] reference) {
    return 1e-5 * Math.max(1, Diff.peak(reference));
  }

  @ParameterizedTest(name = "{0}, gating {1}")
  @CsvSource({"layer_norm, none", "rms_norm_f32, silu"})
  void contextLongerThanTheSequenceAnyChunkingEqualsWhole(String norm, String gating) {
    try (NDManager scope = manager.newSubManager()) {
      Transformer t = transformer(scope, 2, 64, norm, gating);
      NDArray x = input(scope, 2, 1);
      float[] whole = t.forward(x).toFloatArray();
      for (int[] chunks :
          new int[][] {repeat(1, STEPS), repeat(2, STEPS), repeat(3, STEPS), {1, 2, 3, 1, 2, 3}}) {
        Diff.assertClose(
            "chunks " + Arrays.toString(chunks), stream(t, x, chunks), whole, tolerance(whole));
      }
    }
  }

  @Test
  void oneStepPerCallEqualsWholeSequenceEvenAfterTheRingWraps() {
    try (NDManager scope = manager.newSubManager()) {
      Transformer t = transformer(scope, 2, 4, "layer_norm", "none");
      NDArray x = input(scope, 1, 2);
      float[] whole = t.forward(x).toFloatArray();
      Diff.assertClose(
          "T=1 per call, C=4, 12 steps", stream(t, x, repeat(1, STEPS)), whole, tolerance(whole));
    }
  }

  @Test
  void twoStepsPerCallAgreeOnlyUntilTheRingWraps() {
    int context = 4;
    try (NDManager scope = manager.newSubManager()) {
      Transformer t = transformer(scope, 2, context, "layer_norm", "none");
      NDArray x = input(scope, 1, 3);
      float[] whole = t.forward(x).toFloatArray();
      float[] streamed = stream(t, x, repeat(2, STEPS));
      double tol = tolerance(whole);
      for (int p = 0; p < context; p++) {
        Diff.assertClose("position " + p + " < C", position(streamed, p), position(whole, p), tol);
      }
      // position 4 is the first query of the call at e = 4: its key 1 was overwritten by key 5
      assertThat(Diff.maxAbs(position(streamed, context), position(whole, context)))
          .as("first query after the wrap sees C-1 keys")
          .isGreaterThan(1000 * tol);
    }
  }

  @ParameterizedTest(name = "T={0} per call, C={1}")
  @CsvSource({"2, 4", "3, 5", "2, 5"})
  void oneLayerStreamingSeesExactlyTheKeysTheReferenceRingHolds(int perCall, int context) {
    try (NDManager scope = manager.newSubManager()) {
      NDArray x = input(scope, 1, 4);
      float[][] wholeByContext = new float[context + 1][];
      for (int c = context - perCall + 1; c <= context; c++) {
        wholeByContext[c] =
            transformer(scope, 1, c, "layer_norm", "none").forward(x).toFloatArray();
      }
      float[] streamed =
          stream(transformer(scope, 1, context, "layer_norm", "none"), x, repeat(perCall, STEPS));
      for (int p = 0; p < STEPS; p++) {
        int i = p % perCall;
        int visible = context - (perCall - 1 - i);
        float[] expected = position(wholeByContext[visible], p);
        Diff.assertClose(
            "position " + p + " (index " + i + " of its call) = whole with context " + visible,
            position(streamed, p),
            expected,
            tolerance(expected));
      }
      // and the rule matters: the first call start e > C - T has a first query that lost keys
      int p = perCall * ((context - perCall) / perCall + 1);
      assertThat(p).isLessThan(STEPS);
      assertThat(Diff.maxAbs(position(streamed, p), position(wholeByContext[context], p)))
          .isGreaterThan(1e-3);
    }
  }

  @Test
  void inactiveSlotKeepsItsPositionAndCacheAndResetStartsOver() {
    int context = 4;
    try (NDManager scope = manager.newSubManager()) {
      Transformer t = transformer(scope, 2, context, "layer_norm", "none");
      NDArray a = input(scope, 1, 5);
      NDArray b = input(scope, 1, 6);
      NDArray noise = input(scope, 1, 7);
      Transformer.State state = t.newState(scope, 2);
      ExecMask all = ExecMask.all(2);
      ExecMask onlyFirst = ExecMask.of(true, false);
      float[] slot1 = new float[STEPS * D];
      float[] slot0 = new float[STEPS * D];
      int fed1 = 0;
      for (int s = 0; s < STEPS; s++) {
        boolean idle = s >= 3 && s < 6;
        NDArray second =
            idle
                ? noise.get(new NDIndex(":, {}:{}", s, s + 1))
                : b.get(new NDIndex(":, {}:{}", fed1, fed1 + 1));
        NDArray in = a.get(new NDIndex(":, {}:{}", s, s + 1)).concat(second, 0);
        float[] y = t.step(in, state, idle ? onlyFirst : all).toFloatArray();
        System.arraycopy(y, 0, slot0, s * D, D);
        if (!idle) {
          System.arraycopy(y, D, slot1, fed1 * D, D);
          fed1++;
        }
      }
      assertThat(state.offset(0)).isEqualTo(STEPS);
      assertThat(state.offset(1)).isEqualTo(fed1);
      float[] aWhole = t.forward(a).toFloatArray();
      Diff.assertClose("slot 0 = its own sequence", slot0, aWhole, tolerance(aWhole));
      float[] bFed = t.forward(b.get(new NDIndex(":, :{}", fed1))).toFloatArray();
      Diff.assertClose(
          "slot 1 = the steps it executed", Arrays.copyOf(slot1, fed1 * D), bFed, tolerance(bFed));

      // slot 0 starts over with b while slot 1 continues with a; the ring still holds slot 0's old
      // keys
      state.reset(0);
      assertThat(state.offset(0)).isZero();
      float[] fresh = new float[4 * D];
      float[] continued = new float[4 * D];
      for (int s = 0; s < 4; s++) {
        NDArray in =
            b.get(new NDIndex(":, {}:{}", s, s + 1))
                .concat(a.get(new NDIndex(":, {}:{}", s, s + 1)), 0);
        float[] y = t.step(in, state, all).toFloatArray();
        System.arraycopy(y, 0, fresh, s * D, D);
        System.arraycopy(y, D, continued, s * D, D);
      }
      float[] bFirst4 = Arrays.copyOf(t.forward(b).toFloatArray(), 4 * D);
      Diff.assertClose("slot 0 after reset = a fresh stream", fresh, bFirst4, tolerance(bFirst4));
      NDArray bThenA = b.get(new NDIndex(":, :{}", fed1)).concat(a.get(new NDIndex(":, :4")), 1);
      float[] expected =
          Arrays.copyOfRange(t.forward(bThenA).toFloatArray(), fed1 * D, (fed1 + 4) * D);
      Diff.assertClose("slot 1 unaffected by the reset", continued, expected, tolerance(expected));
    }
  }

  /**
   * A slot's stream copied out (before and after its ring wraps) and restored into another slot,
   * whose ring holds stale keys of an earlier stream, continues there as the whole sequence does;
   * the copy is owned by the manager it was given.
   */
  @ParameterizedTest(name = "copied after {0} steps")
  @CsvSource({"2", "7"})
  void aSlotCopiedOutAndRestoredElsewhereContinuesItsStream(int copyAt) {
    try (NDManager scope = manager.newSubManager()) {
      Transformer t = transformer(scope, 2, 4, "layer_norm", "none");
      NDArray a = input(scope, 1, 5);
      NDArray noise = input(scope, 1, 7);
      Transformer.State state = t.newState(scope, 2);
      for (int s = 0; s < 5; s++) {
        NDArray n = noise.get(new NDIndex(":, {}:{}", s, s + 1));
        t.step(n.concat(n, 0), state, ExecMask.of(false, true)); // stale keys in slot 1
      }
      for (int s = 0; s < copyAt; s++) {
        NDArray x = a.get(new NDIndex(":, {}:{}", s, s + 1));
        t.step(x.concat(x, 0), state, ExecMask.of(true, false));
      }
      try (NDManager owner = scope.newSubManager()) {
        Transformer.SlotCopy copy = state.copy(0, owner);
        assertThat(copy.offset()).isEqualTo(copyAt);
        assertThat(owner.getManagedArrays()).hasSize(2 * 2); // keys and values of 2 layers
        state.reset(1);
        state.restore(1, copy);
      }
      float[] continued = new float[(STEPS - copyAt) * D];
      for (int s = copyAt; s < STEPS; s++) {
        NDArray x = a.get(new NDIndex(":, {}:{}", s, s + 1));
        float[] y =
            t.step(noise.get(new NDIndex(":, 0:1")).concat(x, 0), state, ExecMask.of(false, true))
                .toFloatArray();
        System.arraycopy(y, D, continued, (s - copyAt) * D, D);
      }
      float[] expected = Arrays.copyOfRange(t.forward(a).toFloatArray(), copyAt * D, STEPS * D);
      Diff.assertClose("restored slot 1 = the rest of a", continued, expected, tolerance(expected));
    }
  }

  /**
   * Rows of different ages attending in separate runs (a run per row, forced) give what one run
   * over the oldest row's keys gives, and each row what its own stream alone gives; before and
   * after the old rows' rings wrap.
   */
  @ParameterizedTest(name = "context {0}")
  @CsvSource({"64", "6"})
  void rowsAttendingInRunsOverTheirOwnKeysEqualOneRunAndTheirOwnStreams(int context) {
    int head = 8; // steps the old rows take before the young one starts
    try (NDManager scope = manager.newSubManager()) {
      Transformer t = transformer(scope, 2, context, "layer_norm", "none");
      NDArray[] rows = {input(scope, 1, 11), input(scope, 1, 12), input(scope, 1, 13)};
      NDArray noise = input(scope, 1, 14);
      float[][] byRun = new float[2][];
      for (int variant = 0; variant < 2; variant++) {
        t.segmentCost(variant == 0 ? 0 : KeySegments.ONE_RUN);
        Transformer.State state = t.newState(scope, 3);
        for (int s = 0; s < head; s++) {
          NDArray in =
              NDArrays.concat(
                  new NDList(
                      rows[0].get(new NDIndex(":, {}:{}", s, s + 1)),
                      noise.get(new NDIndex(":, {}:{}", s, s + 1)),
                      rows[2].get(new NDIndex(":, {}:{}", s, s + 1))),
                  0);
          t.step(in, state, ExecMask.of(true, false, true));
        }
        float[] out = new float[(STEPS - head) * 3 * D];
        for (int s = head; s < STEPS; s++) {
          int young = s - head;
          NDArray in =
              NDArrays.concat(
                  new NDList(
                      rows[0].get(new NDIndex(":, {}:{}", s, s + 1)),
                      rows[1].get(new NDIndex(":, {}:{}", young, young + 1)),
                      rows[2].get(new NDIndex(":, {}:{}", s, s + 1))),
                  0);
          System.arraycopy(
              t.step(in, state, ExecMask.all(3)).toFloatArray(), 0, out, young * 3 * D, 3 * D);
        }
        byRun[variant] = out;
      }
      t.segmentCost(-1);
      Diff.assertClose("a run per row = one run", byRun[0], byRun[1], tolerance(byRun[1]));
      float[] oldWhole0 = t.forward(rows[0]).toFloatArray();
      float[] youngWhole =
          t.forward(rows[1].get(new NDIndex(":, :{}", STEPS - head))).toFloatArray();
      for (int young = 0; young < STEPS - head; young++) {
        int at = young * 3 * D;
        float[] expectOld = position(oldWhole0, head + young);
        Diff.assertClose(
            "old row at step " + (head + young),
            java.util.Arrays.copyOfRange(byRun[0], at, at + D),
            expectOld,
            tolerance(expectOld));
        float[] expectYoung = position(youngWhole, young);
        Diff.assertClose(
            "young row at step " + young,
            java.util.Arrays.copyOfRange(byRun[0], at + D, at + 2 * D),
            expectYoung,
            tolerance(expectYoung));
      }
    }
  }

  @Test
  void aFreeRunSplitsRowsByTheKeysTheyHaveWritten() {
    try (NDManager scope = manager.newSubManager()) {
      long[] offsets = {40, 0, 41, 2};
      AttentionStep split =
          AttentionStep.streaming(
              scope, 1, offsets, 64, true, 64, null, ExecMask.all(4), 0, false, 0);
      assertThat(split.segments.count()).isEqualTo(4);
      assertThat(split.segments.keys(1)).isEqualTo(1);
      assertThat(split.segments.keys(2)).isEqualTo(42);
      assertThat(split.keyLength).isEqualTo(42);
      AttentionStep one =
          AttentionStep.streaming(
              scope,
              1,
              offsets,
              64,
              true,
              64,
              null,
              ExecMask.all(4),
              0,
              false,
              KeySegments.ONE_RUN);
      assertThat(one.segments).isNull();
    }
  }

  @Test
  void moreStepsThanTheRingHoldsAreRejected() {
    try (NDManager scope = manager.newSubManager()) {
      Transformer t = transformer(scope, 1, 4, "layer_norm", "none");
      Transformer.State state = t.newState(scope, 1);
      NDArray x = scope.zeros(new Shape(1, 5, D));
      assertThatThrownBy(() -> t.step(x, state, ExecMask.all(1)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("exceed the KV cache capacity 4");
    }
  }
}
