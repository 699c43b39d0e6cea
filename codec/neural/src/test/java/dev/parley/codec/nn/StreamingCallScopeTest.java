package dev.parley.codec.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.parley.codec.torch.TorchRuntime;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A streaming call must create every tensor in the manager of its input (the caller's per-call
 * scope): nothing may be left behind in the weights' or the state's manager, or a long-lived stream
 * grows without bound. DJL puts an operation's result in the manager of its receiver, so {@code
 * state.concat(x)} or {@code weight.sub(x)} would leak; these tests count the arrays the root
 * manager (weights + state, recursively) holds before and after calls in closed scopes.
 */
class StreamingCallScopeTest {

  /**
   * Runs {@code calls} steps, each in its own closed scope, after one warm-up call; returns
   * (before, after).
   */
  private static long[] arraysAround(NDManager root, Function<NDManager, NDArray> call, int calls) {
    try (NDManager scope = root.newSubManager()) {
      call.apply(scope).toFloatArray(); // warm-up: lazily created state, if any
    }
    long before = root.getManagedArrays().size();
    for (int i = 0; i < calls; i++) {
      try (NDManager scope = root.newSubManager()) {
        call.apply(scope).toFloatArray();
      }
    }
    return new long[] {before, root.getManagedArrays().size()};
  }

  private static void assertNoGrowth(String what, long[] counts) {
    assertThat(counts[1])
        .as("%s: arrays held by weights + state after 4 calls", what)
        .isEqualTo(counts[0]);
  }

  private static NDArray input(NDManager m, int batch, int channels, int t) {
    return m.create(
        StreamingConv1dTest.input(batch, channels, t, 9), new Shape(batch, channels, t));
  }

  @Test
  void convolutionLeavesNothingBehind() {
    for (boolean replicate : new boolean[] {false, true}) {
      for (ExecMask mask : new ExecMask[] {ExecMask.all(2), ExecMask.of(false, true)}) {
        try (NDManager root = TorchRuntime.newManager()) {
          StreamingConv1d conv =
              new StreamingConv1d(
                  new KnownParameters(root, 1), "c.", 3, 4, 4, 2, 1, 1, true, replicate);
          SlotState state = conv.newState(root.newSubManager(), 2);
          assertNoGrowth(
              "conv replicate=" + replicate + " mask=" + mask.allActive(),
              arraysAround(root, s -> conv.step(input(s, 2, 3, 6), state, mask), 4));
        }
      }
    }
  }

  @Test
  void transposedConvolutionLeavesNothingBehind() {
    for (int groups : new int[] {1, 4}) {
      for (ExecMask mask : new ExecMask[] {ExecMask.all(2), ExecMask.of(true, false)}) {
        try (NDManager root = TorchRuntime.newManager()) {
          StreamingConvTranspose1d tr =
              new StreamingConvTranspose1d(
                  new KnownParameters(root, 2), "t.", 4, 4, 4, 2, groups, true);
          SlotState state = tr.newState(root.newSubManager(), 2);
          assertNoGrowth(
              "convtr groups=" + groups + " mask=" + mask.allActive(),
              arraysAround(root, s -> tr.step(input(s, 2, 4, 3), state, mask), 4));
        }
      }
    }
  }

  @Test
  void transformerLeavesNothingBehind() {
    String[][] variants = {{"layer_norm", "none"}, {"rms_norm_f32", "silu"}, {"rms_norm", "gelu"}};
    for (String[] v : variants) {
      for (ExecMask mask : new ExecMask[] {ExecMask.all(2), ExecMask.of(true, false)}) {
        try (NDManager root = TorchRuntime.newManager()) {
          Transformer t = TransformerStreamingTest.transformer(root, 2, 4, v[0], v[1]);
          Transformer.State state = t.newState(root.newSubManager(), 2);
          assertNoGrowth(
              "transformer " + v[0] + "/" + v[1] + " mask=" + mask.allActive(),
              arraysAround(
                  root,
                  s ->
                      t.step(
                          s.create(StreamingConv1dTest.input(2, 2, 16, 3), new Shape(2, 2, 16)),
                          state,
                          mask),
                  4));
        }
      }
    }
  }

  @Test
  void wholeSequenceCallsLeaveNothingBehindEither() {
    try (NDManager root = TorchRuntime.newManager()) {
      StreamingConv1d conv =
          new StreamingConv1d(new KnownParameters(root, 1), "c.", 3, 4, 4, 2, 1, 1, true, true);
      StreamingConvTranspose1d tr =
          new StreamingConvTranspose1d(new KnownParameters(root, 2), "t.", 4, 4, 4, 2, 1, true);
      Transformer t = TransformerStreamingTest.transformer(root, 2, 4, "rms_norm_f32", "silu");
      assertNoGrowth(
          "whole sequence",
          arraysAround(
              root,
              s -> {
                tr.forward(conv.forward(input(s, 1, 3, 8))).toFloatArray();
                return t.forward(
                    s.create(StreamingConv1dTest.input(1, 8, 16, 4), new Shape(1, 8, 16)));
              },
              4));
    }
  }
}
