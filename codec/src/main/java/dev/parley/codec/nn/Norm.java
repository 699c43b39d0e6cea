package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** The transformer's normalisations ({@code create_norm_fn}): LayerNorm or RMSNorm. */
public interface Norm {
  NDArray apply(NDArray x);

  /** {@code prefix} up to the module, e.g. {@code transformer.layers.0.norm1.} */
  static Norm create(String kind, Parameters p, String prefix, int dim) {
    return switch (kind) {
      case "layer_norm" -> new Layer(p.get(prefix + "weight", dim), p.get(prefix + "bias", dim), 1e-5f, false);
      case "layer_norm_f32" -> new Layer(p.get(prefix + "weight", dim), p.get(prefix + "bias", dim), 1e-8f, true);
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
        NDArray y = Ops.layerNorm(x.toType(DataType.FLOAT32, false), weight.toType(DataType.FLOAT32, false),
            bias.toType(DataType.FLOAT32, false), eps);
        return y.toType(x.getDataType(), false);
      }
      return Ops.layerNorm(x, weight, bias, eps);
    }
  }

  /** Moshi's RMSNorm: {@code x · alpha · rsqrt(eps + mean(x²))}, optionally in float32. */
  record Rms(NDArray alpha, float eps, boolean inFloat32) implements Norm {
    @Override
    public NDArray apply(NDArray x) {
      DataType in = x.getDataType();
      NDArray xf = inFloat32 && in != DataType.FLOAT32 ? x.toType(DataType.FLOAT32, false) : x;
      NDArray var = xf.square().mean(new int[] {-1}, true).add(eps);
      NDArray a = alpha.getDataType() == xf.getDataType() ? alpha : alpha.toType(xf.getDataType(), false);
      NDArray y = xf.mul(var.sqrt().getNDArrayInternal().rdiv(1f).mul(a)); // not a.mul(): that result would join the weights' manager
      return y.getDataType() == in ? y : y.toType(in, false);
    }
  }
}
