package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * {@code x @ w^T} for 2–4 rows of x against a CPU weight with at least as many outputs as inputs,
 * computed as {@code (w @ x^T)^T}. For those shapes oneMKL's SGEMM packs the weight before a
 * product that is only a few rows deep, and streams it at 5–7 GB/s on this project's CPUs; with the
 * weight as the left operand it takes its few-columns path and streams it at 10–16 GB/s, as the
 * one-row GEMV does. Wider weights (more inputs than outputs) do not gain, and one row already
 * takes the GEMV path. Small weights stay on {@code linear}, where the extra calls would cost more
 * than they save.
 */
final class FewRowsProduct {
  static final int MAX_ROWS = 4;
  static final long MIN_WEIGHTS = 256L * 1024;

  private FewRowsProduct() {}

  /** Whether {@code x @ w^T}, w [out, in], takes this path. */
  static boolean applies(NDArray x, NDArray w) {
    Shape ws = w.getShape();
    return ws.dimension() == 2 && applies(x, ws.get(1), ws.get(0));
  }

  /** Whether {@code x @ w}, w [in, out], takes this path. */
  static boolean appliesToProduct(NDArray x, NDArray w) {
    Shape ws = w.getShape();
    return ws.dimension() == 2 && applies(x, ws.get(0), ws.get(1));
  }

  private static boolean applies(NDArray x, long in, long out) {
    if (!ai.djl.Device.Type.CPU.equals(x.getDevice().getDeviceType())) {
      return false;
    }
    if (out < in || out * in < MIN_WEIGHTS) {
      return false;
    }
    Shape xs = x.getShape();
    if (xs.dimension() < 2 || xs.get(xs.dimension() - 1) != in) {
      return false;
    }
    long rows = xs.size() / in;
    return rows >= 2 && rows <= MAX_ROWS;
  }

  /** {@code x @ w^T + bias}, w [out, in], bias [out] or null. */
  static NDArray linear(NDArray x, NDArray w, NDArray bias) {
    NDArray y = leftProduct(x, w);
    return bias == null ? y : y.add(bias);
  }

  /** {@code x @ w}, w [in, out]: the same product with the weight's transposed view. */
  static NDArray product(NDArray x, NDArray w) {
    NDArray wt = w.transpose();
    wt.attach(x.getManager()); // a view of a weight would otherwise join the weights' manager
    return leftProduct(x, wt);
  }

  /** {@code x @ wt^T} with wt [out, in] as the left operand of the product. */
  private static NDArray leftProduct(NDArray x, NDArray wt) {
    Shape xs = x.getShape();
    long out = wt.getShape().get(0);
    long in = wt.getShape().get(1);
    long rows = xs.size() / in;
    NDArray columns = wt.matMul(x.reshape(rows, in).transpose()); // [out, rows]
    // The result of an op joins its first operand's manager: keep it in the caller's scope.
    columns.attach(x.getManager());
    long[] dims = xs.getShape();
    dims[dims.length - 1] = out;
    // Flattening the transposed view copies it into row order. Left as a view, its strides pass
    // through the elementwise ops after it, and the next product reads a transposed operand:
    // measured 1.5x slower for a 2-row 512x2048 weight (oneMKL's T,T path).
    return columns.transpose().reshape(new Shape(rows * out)).reshape(new Shape(dims));
  }
}
