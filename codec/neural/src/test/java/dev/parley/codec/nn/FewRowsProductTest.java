package dev.parley.codec.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.parley.codec.torch.TorchRuntime;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code Ops.linear} takes the weight-on-the-left product for 2–4 rows against a tall or square
 * weight of at least 256 Ki values; every shape must still give {@code x @ w^T + b}, checked
 * against a double-precision sum in Java, and must leave nothing in the weights' manager.
 */
class FewRowsProductTest {
  private static final int[][] WEIGHTS = {
    {2048, 512}, {1536, 512}, {512, 512}, {512, 2048}, {64, 64}
  };
  private static final int[] ROWS = {1, 2, 3, 4, 5, 8};

  private static float[] values(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return v;
  }

  @Test
  void everyShapeGivesTheProductPlusBias() {
    try (NDManager m = TorchRuntime.newManager()) {
      for (int[] ws : WEIGHTS) {
        int out = ws[0];
        int in = ws[1];
        float[] w = values(out * in, out + in);
        float[] bias = values(out, 3);
        NDArray wt = m.create(w, new Shape(out, in));
        NDArray bt = m.create(bias, new Shape(out));
        for (int rows : ROWS) {
          float[] x = values(rows * in, rows);
          for (Shape shape : new Shape[] {new Shape(1, rows, in), new Shape(rows, 1, in)}) {
            for (boolean withBias : new boolean[] {false, true}) {
              try (NDManager scope = m.newSubManager()) {
                NDArray xt = scope.create(x, shape);
                boolean expectLeft = rows >= 2 && rows <= 4 && out >= in && out * in >= 256 * 1024;
                assertThat(FewRowsProduct.applies(xt, wt))
                    .as("path for %dx%d, %d rows", out, in, rows)
                    .isEqualTo(expectLeft);
                NDArray y = withBias ? Ops.linear(xt, wt, bt) : Ops.linear(xt, wt);
                assertThat(y.getShape()).isEqualTo(new Shape(shape.get(0), shape.get(1), out));
                float[] got = y.toFloatArray();
                double worst = 0;
                for (int r = 0; r < rows; r++) {
                  for (int o = 0; o < out; o++) {
                    double sum = withBias ? bias[o] : 0;
                    for (int i = 0; i < in; i++) {
                      sum += (double) x[r * in + i] * w[o * in + i];
                    }
                    worst = Math.max(worst, Math.abs(sum - got[r * out + o]));
                  }
                }
                // float32 sums of up to 2048 terms of magnitude < 1
                assertThat(worst)
                    .as("max error %dx%d, %d rows %s bias=%s", out, in, rows, shape, withBias)
                    .isLessThan(1e-3);
              }
            }
          }
        }
      }
    }
  }

  @Test
  void leavesNothingInTheWeightsManager() {
    try (NDManager root = TorchRuntime.newManager()) {
      NDArray w = root.create(values(2048 * 512, 1), new Shape(2048, 512));
      NDArray b = root.create(values(2048, 2), new Shape(2048));
      long before = root.getManagedArrays().size();
      for (int i = 0; i < 4; i++) {
        try (NDManager scope = root.newSubManager()) {
          NDArray x = scope.create(values(2 * 512, i), new Shape(1, 2, 512));
          assertThat(FewRowsProduct.applies(x, w)).isTrue();
          Ops.linear(x, w, b).toFloatArray();
          Ops.linear(x, w).toFloatArray();
        }
      }
      assertThat(root.getManagedArrays().size()).isEqualTo(before);
    }
  }
}
