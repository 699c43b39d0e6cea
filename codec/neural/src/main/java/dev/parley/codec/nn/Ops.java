package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** The few tensor operations DJL exposes only through its internal API, in one place. */
public final class Ops {
  private Ops() {}

  /** {@code x @ w^T} (torch.nn.functional.linear without bias); w is [out, in]. */
  public static NDArray linear(NDArray x, NDArray w) {
    return linear(x, w, null);
  }

  /** {@code x @ w^T + bias} over the last axis; bias [out] or null. */
  public static NDArray linear(NDArray x, NDArray w, NDArray bias) {
    if (FewRowsProduct.applies(x, w)) {
      return FewRowsProduct.linear(x, w, bias);
    }
    return x.getNDArrayInternal().linear(x, w, bias).singletonOrThrow();
  }

  /** {@code x @ w} over the last axis; w is [in, out]. */
  public static NDArray product(NDArray x, NDArray w) {
    if (FewRowsProduct.appliesToProduct(x, w)) {
      return FewRowsProduct.product(x, w);
    }
    return x.matMul(w);
  }

  /** Plain (unpadded) 1-d convolution; x [B, Cin, T], w [Cout, Cin/groups, K]. */
  public static NDArray conv1d(
      NDArray x, NDArray w, NDArray bias, int stride, int dilation, int groups) {
    return x.getNDArrayInternal()
        .convolution(x, w, bias, new Shape(stride), new Shape(0), new Shape(dilation), groups)
        .singletonOrThrow();
  }

  /** Row lookup {@code table[ids]}; ids of any shape, result ids.shape + [dim]. */
  public static NDArray embedding(NDArray ids, NDArray table) {
    return ids.getNDArrayInternal()
        .embedding(ids, table, ai.djl.ndarray.types.SparseFormat.DENSE)
        .singletonOrThrow();
  }

  /** torch.nn.functional.layer_norm over the last axis. */
  public static NDArray layerNorm(NDArray x, NDArray weight, NDArray bias, float eps) {
    long d = x.getShape().get(x.getShape().dimension() - 1);
    return x.getNDArrayInternal().layerNorm(x, new Shape(d), weight, bias, eps).singletonOrThrow();
  }

  /** Exact (erf) GELU, torch's default. */
  public static NDArray gelu(NDArray x) {
    return x.getNDArrayInternal().gelu();
  }

  public static NDArray elu(NDArray x) {
    return x.getNDArrayInternal().elu(1f);
  }

  /** x·sigmoid(x). */
  public static NDArray silu(NDArray x) {
    return x.mul(x.getNDArrayInternal().sigmoid());
  }
}
