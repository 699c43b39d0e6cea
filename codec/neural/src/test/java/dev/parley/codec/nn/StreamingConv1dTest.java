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
import dev.parley.codec.testing.Signals;
import dev.parley.codec.torch.TorchRuntime;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Causal streaming convolution: the whole-sequence call against naive loops of the reference's rule
 * (left context (k−1)·d+1−s of zeros or of the first sample, unpadded strided conv), and streaming
 * in chunks of varying stride multiples against the whole-sequence call.
 */
class StreamingConv1dTest {
  static NDManager manager;

  @BeforeAll
  static void start() {
    manager = TorchRuntime.newManager();
  }

  @AfterAll
  static void stop() {
    manager.close();
  }

  /** One configuration: the layer plus the weights it was built with. */
  record Conv(
      StreamingConv1d conv,
      float[] w,
      float[] b,
      int in,
      int out,
      int k,
      int s,
      int d,
      int groups,
      boolean replicate) {
    static Conv of(
        NDManager m,
        int in,
        int out,
        int k,
        int s,
        int d,
        int groups,
        boolean bias,
        boolean replicate) {
      KnownParameters p = new KnownParameters(m, 11 * k + s + 3 * d + groups);
      StreamingConv1d c = new StreamingConv1d(p, "c.", in, out, k, s, d, groups, bias, replicate);
      return new Conv(
          c,
          p.values("c.weight"),
          bias ? p.values("c.bias") : null,
          in,
          out,
          k,
          s,
          d,
          groups,
          replicate);
    }

    /**
     * y[b,o,j] = bias[o] + Σ_c Σ_i w[o,c,i] · x̃[b, g·cin+c, j·s + i·d − P], x̃ = left-padded x.
     */
    float[] naive(float[] x, int batch, int t) {
      int pad = (k - 1) * d + 1 - s;
      int cinG = in / groups;
      int coutG = out / groups;
      int tOut = t / s;
      float[] y = new float[batch * out * tOut];
      for (int bi = 0; bi < batch; bi++) {
        for (int o = 0; o < out; o++) {
          int g = o / coutG;
          for (int j = 0; j < tOut; j++) {
            double acc = b == null ? 0 : b[o];
            for (int c = 0; c < cinG; c++) {
              int ch = g * cinG + c;
              for (int i = 0; i < k; i++) {
                int pos = j * s + i * d - pad;
                float xv =
                    pos >= 0 ? x[(bi * in + ch) * t + pos] : replicate ? x[(bi * in + ch) * t] : 0f;
                acc += (double) w[(o * cinG + c) * k + i] * xv;
              }
            }
            y[(bi * out + o) * tOut + j] = (float) acc;
          }
        }
      }
      return y;
    }
  }

  static float[] input(int batch, int channels, int t, long seed) {
    Random r = new Random(seed);
    float[] x = new float[batch * channels * t];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  /**
   * Runs the chunks (lengths in input samples) through step() and concatenates the outputs on the
   * time axis.
   */
  static NDArray stream(StreamingModule m, NDArray x, SlotState state, int[] chunks) {
    NDList outs = new NDList();
    int at = 0;
    for (int c : chunks) {
      outs.add(
          m.step(
              x.get(new NDIndex(":, :, {}:{}", at, at + c)),
              state,
              ExecMask.all((int) x.getShape().get(0))));
      at += c;
    }
    assertThat((long) at).isEqualTo(x.getShape().get(2));
    return NDArrays.concat(outs, 2);
  }

  @ParameterizedTest(name = "in={0} out={1} k={2} s={3} d={4} groups={5} bias={6} replicate={7}")
  @CsvSource({
    "3, 4, 5, 2, 1, 1, true, false",
    "3, 4, 3, 1, 2, 1, true, false", // dilation 2 (SEANet residual blocks with dilation_base^j)
    "2, 5, 3, 1, 2, 1, true, true", // dilation 2 with replicate padding
    "4, 4, 4, 2, 1, 1, false, true", // Mimi's downsampler: k = 2s, replicate, no bias
    "1, 4, 7, 1, 1, 1, true, false", // SEANet's first conv
    "4, 6, 3, 1, 2, 2, true, false", // grouped
    "3, 5, 1, 1, 1, 1, true, false", // 1x1: no context
    "3, 2, 2, 2, 1, 1, true, false", // kernel = stride: no context
    "4, 8, 8, 4, 1, 1, true, false"
  }) // SEANet downsampling conv, k = 2s
  void wholeSequenceMatchesNaiveLoopsAndStreamingMatchesWhole(
      int in, int out, int k, int s, int d, int groups, boolean bias, boolean replicate) {
    try (NDManager scope = manager.newSubManager()) {
      Conv c = Conv.of(scope, in, out, k, s, d, groups, bias, replicate);
      int batch = 2;
      int[] chunks = {s, 3 * s, 2 * s, 5 * s, s};
      int t = 12 * s;
      float[] xs = input(batch, in, t, 100 + k);
      NDArray x = scope.create(xs, new Shape(batch, in, t));

      float[] whole = c.conv().forward(x).toFloatArray();
      float[] naive = c.naive(xs, batch, t);
      Diff.assertClose("whole vs naive", whole, naive, 1e-5 * Math.max(1, Diff.peak(naive)));

      float[] streamed =
          stream(c.conv(), x, c.conv().newState(scope, batch), chunks).toFloatArray();
      Diff.assertClose("streamed vs whole", streamed, whole, 1e-6 * Math.max(1, Diff.peak(whole)));
    }
  }

  /** Batch item {@code b} of y [B, C, T]. */
  static float[] slot(float[] y, int b, int channels, int t) {
    return java.util.Arrays.copyOfRange(y, b * channels * t, (b + 1) * channels * t);
  }

  /** Time steps from..to of y [C, T]. */
  static float[] time(float[] y, int channels, int t, int from, int to) {
    float[] out = new float[channels * (to - from)];
    for (int ch = 0; ch < channels; ch++) {
      System.arraycopy(y, ch * t + from, out, ch * (to - from), to - from);
    }
    return out;
  }

  /** [C, T1] and [C, T2] joined on the time axis. */
  static float[] join(float[] first, int t1, float[] second, int t2, int channels) {
    float[] out = new float[channels * (t1 + t2)];
    for (int ch = 0; ch < channels; ch++) {
      System.arraycopy(first, ch * t1, out, ch * (t1 + t2), t1);
      System.arraycopy(second, ch * t2, out, ch * (t1 + t2) + t1, t2);
    }
    return out;
  }

  @Test
  void replicatePaddingUsesEachSlotsOwnFirstSampleAndResetsWithTheSlot() {
    try (NDManager scope = manager.newSubManager()) {
      Conv c = Conv.of(scope, 2, 3, 4, 2, 1, 1, false, true);
      int t = 8;
      float[] a = input(1, 2, t, 1);
      float[] b = input(1, 2, t, 2);
      float[] later = input(1, 2, t, 3);
      SlotState state = c.conv().newState(scope, 2);
      NDArray ab = scope.create(Signals.concat(a, b), new Shape(2, 2, t));
      float[] first = stream(c.conv(), ab, state, new int[] {4, 4}).toFloatArray();
      Diff.assertClose("slot 0", slot(first, 0, 3, t / 2), c.naive(a, 1, t), 1e-5);
      Diff.assertClose("slot 1", slot(first, 1, 3, t / 2), c.naive(b, 1, t), 1e-5);

      // slot 1 starts over: its history is re-filled from the first sample of its new input
      state.reset(1);
      NDArray next = scope.create(Signals.concat(later, later), new Shape(2, 2, t));
      float[] second = stream(c.conv(), next, state, new int[] {2, 6}).toFloatArray();
      float[] continued = time(c.naive(join(a, t, later, t, 2), 1, 2 * t), 3, t, t / 2, t);
      Diff.assertClose("slot 0 continues", slot(second, 0, 3, t / 2), continued, 1e-5);
      Diff.assertClose("slot 1 fresh", slot(second, 1, 3, t / 2), c.naive(later, 1, t), 1e-5);
    }
  }

  @Test
  void inactiveSlotKeepsItsState() {
    try (NDManager scope = manager.newSubManager()) {
      Conv c = Conv.of(scope, 2, 3, 5, 1, 2, 1, true, false);
      int t = 6;
      float[] a = input(1, 2, t, 4);
      float[] b = input(1, 2, t, 5);
      float[] noise = input(1, 2, t, 6);
      SlotState state = c.conv().newState(scope, 2);
      // call 1: both slots run; call 2: slot 1 is idle and is fed noise; call 3: both run
      c.conv().step(scope.create(Signals.concat(a, a), new Shape(2, 2, t)), state, ExecMask.all(2));
      c.conv()
          .step(
              scope.create(Signals.concat(b, noise), new Shape(2, 2, t)),
              state,
              ExecMask.of(true, false));
      float[] y =
          c.conv()
              .step(scope.create(Signals.concat(b, b), new Shape(2, 2, t)), state, ExecMask.all(2))
              .toFloatArray();
      // slot 0 saw a, b, b; slot 1 saw a, b (the idle call never happened for it)
      float[] slot0 = c.naive(join(join(a, t, b, t, 2), 2 * t, b, t, 2), 1, 3 * t);
      float[] slot1 = c.naive(join(a, t, b, t, 2), 1, 2 * t);
      Diff.assertClose("slot 0", slot(y, 0, 3, t), time(slot0, 3, 3 * t, 2 * t, 3 * t), 1e-5);
      Diff.assertClose("slot 1", slot(y, 1, 3, t), time(slot1, 3, 2 * t, t, 2 * t), 1e-5);
    }
  }

  @Test
  void lengthsThatAreNotStrideMultiplesAreRejected() {
    try (NDManager scope = manager.newSubManager()) {
      Conv c = Conv.of(scope, 1, 1, 4, 2, 1, 1, true, false);
      NDArray x = scope.zeros(new Shape(1, 1, 5));
      assertThatThrownBy(() -> c.conv().forward(x))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("multiple of stride 2");
      SlotState st = c.conv().newState(scope, 1);
      assertThatThrownBy(() -> c.conv().step(x, st, ExecMask.all(1)))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(c.conv().context()).isEqualTo(2);
    }
  }
}
