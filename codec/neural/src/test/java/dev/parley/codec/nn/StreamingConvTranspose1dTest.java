package dev.parley.codec.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.parley.codec.testing.Diff;
import dev.parley.codec.testing.Signals;
import dev.parley.codec.torch.TorchRuntime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Causal transposed convolution, dense and depthwise: the matmul + overlap-add implementation
 * against the textbook scatter loop y[t·S + k] += x[t]·w[k], and streaming in chunks against the
 * whole-sequence call (trim K−S on the right; the overlap, minus bias, carried to the next call).
 */
class StreamingConvTranspose1dTest {
  static NDManager manager;

  @BeforeAll
  static void start() {
    manager = TorchRuntime.newManager();
  }

  @AfterAll
  static void stop() {
    manager.close();
  }

  record ConvTr(
      StreamingConvTranspose1d layer,
      float[] w,
      float[] b,
      int in,
      int out,
      int k,
      int s,
      int groups) {
    static ConvTr of(NDManager m, int in, int out, int k, int s, int groups, boolean bias) {
      KnownParameters p = new KnownParameters(m, 7L * k + s + groups);
      StreamingConvTranspose1d l =
          new StreamingConvTranspose1d(p, "t.", in, out, k, s, groups, bias);
      return new ConvTr(
          l, p.values("t.weight"), bias ? p.values("t.bias") : null, in, out, k, s, groups);
    }

    /** The full transposed convolution, [B, Cout, (T−1)·S + K]; weight [Cin, Cout/groups, K]. */
    float[] naiveFull(float[] x, int batch, int t) {
      int len = (t - 1) * s + k;
      int coutG = out / groups;
      int cinG = in / groups;
      double[] y = new double[batch * out * len];
      for (int bi = 0; bi < batch; bi++) {
        for (int c = 0; c < in; c++) {
          int g = c / cinG;
          for (int j = 0; j < coutG; j++) {
            int o = g * coutG + j;
            for (int ti = 0; ti < t; ti++) {
              double xv = x[(bi * in + c) * t + ti];
              for (int kk = 0; kk < k; kk++) {
                y[(bi * out + o) * len + ti * s + kk] += xv * w[(c * coutG + j) * k + kk];
              }
            }
          }
        }
      }
      float[] f = new float[y.length];
      for (int bi = 0; bi < batch; bi++) {
        for (int o = 0; o < out; o++) {
          for (int i = 0; i < len; i++) {
            int at = (bi * out + o) * len + i;
            f[at] = (float) (y[at] + (b == null ? 0 : b[o]));
          }
        }
      }
      return f;
    }

    /** The first T·S outputs of every channel (the reference's non-streaming result). */
    float[] naiveTrimmed(float[] x, int batch, int t) {
      float[] full = naiveFull(x, batch, t);
      int len = (t - 1) * s + k;
      float[] y = new float[batch * out * t * s];
      for (int row = 0; row < batch * out; row++) {
        System.arraycopy(full, row * len, y, row * t * s, t * s);
      }
      return y;
    }
  }

  @ParameterizedTest(name = "in={0} out={1} k={2} s={3} groups={4} bias={5}")
  @CsvSource({
    "3, 4, 4, 2, 1, true", // SEANet decoder shape: k = 2s
    "520, 512, 16, 8, 1, true", // k = 2s with weights above CONV_MAX_WEIGHTS: the product form
    "4, 2, 8, 4, 1, true",
    "3, 2, 5, 2, 1, true", // kernel not a multiple of the stride
    "2, 3, 6, 3, 1, false",
    "3, 2, 2, 2, 1, true", // kernel = stride: no overlap
    "4, 4, 4, 2, 4, false", // Mimi's channel-wise upsampler
    "3, 3, 6, 3, 3, true", // depthwise with bias
    "2, 2, 3, 2, 2, true"
  }) // depthwise, kernel not a multiple of the stride
  void wholeSequenceMatchesNaiveLoopsAndStreamingMatchesWhole(
      int in, int out, int k, int s, int groups, boolean bias) {
    try (NDManager scope = manager.newSubManager()) {
      ConvTr c = ConvTr.of(scope, in, out, k, s, groups, bias);
      int batch = 2;
      int t = 12;
      float[] xs = StreamingConv1dTest.input(batch, in, t, 40 + k);
      NDArray x = scope.create(xs, new Shape(batch, in, t));

      float[] full = c.layer().full(x).toFloatArray();
      Diff.assertClose("full vs naive", full, c.naiveFull(xs, batch, t), 1e-5);
      float[] whole = c.layer().forward(x).toFloatArray();
      assertThat(whole).hasSize(batch * out * t * s);
      Diff.assertClose("whole vs naive", whole, c.naiveTrimmed(xs, batch, t), 1e-5);

      float[] streamed =
          StreamingConv1dTest.stream(
                  c.layer(), x, c.layer().newState(scope, batch), new int[] {1, 3, 2, 5, 1})
              .toFloatArray();
      Diff.assertClose("streamed vs whole", streamed, whole, 1e-6 * Math.max(1, Diff.peak(whole)));
    }
  }

  /**
   * Small dense kernel-2·stride layers run as a convolution carrying their last input step: long
   * and one-step chunks alike match the textbook loop.
   */
  @ParameterizedTest(name = "in={0} out={1} k={2} s={3} bias={4}")
  @CsvSource({"3, 4, 4, 2, true", "4, 2, 8, 4, true", "5, 3, 6, 3, false"})
  void longAndShortChunksMatchTheWholeSequence(int in, int out, int k, int s, boolean bias) {
    try (NDManager scope = manager.newSubManager()) {
      ConvTr c = ConvTr.of(scope, in, out, k, s, 1, bias);
      int batch = 2;
      int t = 40;
      int[] chunks = {8, 1, 20, 3, 8};
      float[] xs = StreamingConv1dTest.input(batch, in, t, 11 + k);
      NDArray x = scope.create(xs, new Shape(batch, in, t));
      float[] naive = c.naiveTrimmed(xs, batch, t);
      float[] streamed =
          StreamingConv1dTest.stream(c.layer(), x, c.layer().newState(scope, batch), chunks)
              .toFloatArray();
      Diff.assertClose("streamed vs naive", streamed, naive, 1e-5 * Math.max(1, Diff.peak(naive)));
    }
  }

  @ParameterizedTest(name = "k={0} steps per call={1}")
  @CsvSource({
    "6, 4", // three overlapping blocks: pending outputs carried
    "4, 2", // kernel = 2·stride: the convolution form, last input step carried
    "4, 8"
  })
  void resetAndInactiveSlotsKeepStreamsApart(int k, int t) {
    try (NDManager scope = manager.newSubManager()) {
      ConvTr c = ConvTr.of(scope, 2, 3, k, 2, 1, true);
      int outT = t * 2;
      float[] a = StreamingConv1dTest.input(1, 2, t, 1);
      float[] b = StreamingConv1dTest.input(1, 2, t, 2);
      float[] noise = StreamingConv1dTest.input(1, 2, t, 3);
      SlotState state = c.layer().newState(scope, 2);
      c.layer()
          .step(scope.create(Signals.concat(a, a), new Shape(2, 2, t)), state, ExecMask.all(2));
      // slot 1 idle for one call (fed noise), then both run b
      c.layer()
          .step(
              scope.create(Signals.concat(b, noise), new Shape(2, 2, t)),
              state,
              ExecMask.of(true, false));
      float[] y =
          c.layer()
              .step(scope.create(Signals.concat(b, b), new Shape(2, 2, t)), state, ExecMask.all(2))
              .toFloatArray();
      float[] ab = StreamingConv1dTest.join(a, t, b, t, 2);
      float[] abb = StreamingConv1dTest.join(ab, 2 * t, b, t, 2);
      Diff.assertClose(
          "slot 0 saw a, b, b",
          StreamingConv1dTest.slot(y, 0, 3, outT),
          StreamingConv1dTest.time(c.naiveTrimmed(abb, 1, 3 * t), 3, 3 * outT, 2 * outT, 3 * outT),
          1e-5);
      Diff.assertClose(
          "slot 1 saw a, b",
          StreamingConv1dTest.slot(y, 1, 3, outT),
          StreamingConv1dTest.time(c.naiveTrimmed(ab, 1, 2 * t), 3, 2 * outT, outT, 2 * outT),
          1e-5);

      // slot 0 starts over: no overlap from its past is added; slot 1 carries on
      state.reset(0);
      float[] z =
          c.layer()
              .step(scope.create(Signals.concat(a, a), new Shape(2, 2, t)), state, ExecMask.all(2))
              .toFloatArray();
      Diff.assertClose(
          "slot 0 fresh", StreamingConv1dTest.slot(z, 0, 3, outT), c.naiveTrimmed(a, 1, t), 1e-5);
      float[] aba = StreamingConv1dTest.join(ab, 2 * t, a, t, 2);
      Diff.assertClose(
          "slot 1 continues",
          StreamingConv1dTest.slot(z, 1, 3, outT),
          StreamingConv1dTest.time(c.naiveTrimmed(aba, 1, 3 * t), 3, 3 * outT, 2 * outT, 3 * outT),
          1e-5);
    }
  }
}
