package dev.parley.codec.mimi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.parley.codec.nn.Parameters;

/**
 * Mimi's quantizer ({@code SplitResidualVectorQuantizer}, one semantic level): {@code rvq_first}
 * and {@code rvq_rest} both quantize the same latent (not a residual of each other) and their
 * decodings are summed.
 */
final class SplitResidualVectorQuantizer {
  private final ResidualVectorQuantizer first;
  private final ResidualVectorQuantizer rest;

  SplitResidualVectorQuantizer(Parameters p, MimiConfig.Quantizer c) {
    first = new ResidualVectorQuantizer(p, "quantizer.rvq_first.", 1, c);
    rest = new ResidualVectorQuantizer(p, "quantizer.rvq_rest.", c.nQ() - 1, c);
  }

  /** latent [B, F, D] → codes [B, F, n] (int64). */
  NDArray encode(NDArray latent, int n) {
    NDArray semantic = first.encode(latent, 1);
    if (n == 1) {
      return semantic;
    }
    return semantic.concat(rest.encode(latent, n - 1), 2);
  }

  /** codes [B, F, n] → [B, F, D]. */
  NDArray decode(NDArray codes) {
    long n = codes.getShape().get(2);
    NDArray out = first.decode(codes.get(new NDIndex(":, :, :1")));
    if (n > 1) {
      out = out.add(rest.decode(codes.get(new NDIndex(":, :, 1:"))));
    }
    return out;
  }
}
