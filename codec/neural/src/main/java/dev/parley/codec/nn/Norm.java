package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** The transformer's normalisations ({@code create_norm_fn}): LayerNorm or RMSNorm. */
public interface Norm {
  NDArray apply(NDArray x);

  /** {@code prefix} up to the module, e.g. {@code transformer.layers.0.norm1.} */
  static Norm create(String kind, Parameters p, String prefix, int dim) {
    return switch (kind) {
      case "layer_norm" ->
          new Layer(p.get(prefix + "weight", dim), p.get(prefix + "bias", dim), 1e-5f, false);
      case "layer_norm_f32" ->
          new Layer(p.get(prefix + "weight", dim), p.get(prefix + "bias", dim), 1e-8f, true);
      case "rms_norm" -> new Rms(p.get(prefix + "alpha", 1, 1, dim), 1e-5f, false);
      case "rms_norm_f32" -> new Rms(p.get(prefix + "alpha", 1, 1, dim), 1e-8f, true);
      default -> throw new IllegalArgumentException("unknown norm " + kind);
    };
  }

  /** torch.nn.LayerNorm (optionally computed in float32). */
  record Layer(NDArray weight, NDArray bias, float eps, boolean inFloat32) implements Norm {
    @Override
    public NDArray apply(NDArray x) {
      if (inFloat32 && x.getDataType() != DataType.FLOAT32) {
        NDArray y =
            Ops.layerNorm(
                x.toType(DataType.FLOAT32, false),
                weight.toType(DataType.FLOAT32, false),
                bias.toType(DataType.FLOAT32, false),
                eps);
        return y.toType(x.getDataType(), false);
      }
      return Ops.layerNorm(x, weight, bias, eps);
    }
  }

  /**
   * Moshi's RMSNorm: {@code x · alpha · rsqrt(eps + mean(x²))}, optionally in float32. Computed as
   * an L2 normalisation times {@code alpha·sqrt(D)} — two tensor operations instead of six; the
   * results differ only by how eps enters (relative 1e-8 for eps 1e-8, well below float32 rounding
   * of the reference itself).
   */
  final class Rms implements Norm {
    private final NDArray scaledAlpha;
    private final float normEps;
    private final boolean inFloat32;

    Rms(NDArray alpha, float eps, boolean inFloat32) {
      long d = alpha.getShape().get(alpha.getShape().dimension() - 1);
      NDArray a = inFloat32 ? alpha.toType(DataType.FLOAT32, false) : alpha;
      this.scaledAlpha = a.mul((float) Math.sqrt(d));
      this.normEps = (float) Math.sqrt(d * (double) eps);
      this.inFloat32 = inFloat32;
    }

    @Override
    public NDArray apply(NDArray x) {
      DataType in = x.getDataType();
      NDArray xf = inFloat32 && in != DataType.FLOAT32 ? x.toType(DataType.FLOAT32, false) : x;
      NDArray a =
          scaledAlpha.getDataType() == xf.getDataType()
              ? scaledAlpha
              : scaledAlpha.toType(xf.getDataType(), false);
      NDArray y = xf.normalize(2, -1, normEps).mul(a);
      return y.getDataType() == in ? y : y.toType(in, false);
    }
  }
}
