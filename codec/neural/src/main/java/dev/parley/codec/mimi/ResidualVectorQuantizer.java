package dev.parley.codec.mimi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import dev.parley.codec.nn.Ops;
import dev.parley.codec.nn.Parameters;

/**
 * One residual vector quantizer with its own input and output projections ({@code
 * ResidualVectorQuantizer}, force_projection). Codebook k's centroids are {@code embedding_sum /
 * max(cluster_usage, 1e-5)}; encoding picks the nearest centroid in Euclidean distance level by
 * level on the running residual.
 */
final class ResidualVectorQuantizer {
  private static final float EPSILON = 1e-5f;
  private final NDArray inputProj; // [dim, in]
  private final NDArray outputProj; // [out, dim]
  private final NDArray[] centroids; // [bins, dim] each
  private final NDArray[] halfNorms; // ||e||² / 2, [bins]
  private final NDArray stacked; // all centroids, [n_q·bins, dim], for one-lookup decoding
  private final int bins;

  ResidualVectorQuantizer(Parameters p, String prefix, int nQ, MimiConfig.Quantizer c) {
    this.bins = c.bins();
    inputProj =
        p.get(prefix + "input_proj.weight", c.dimension(), c.inputDimension(), 1).squeeze(2);
    outputProj =
        p.get(prefix + "output_proj.weight", c.outputDimension(), c.dimension(), 1).squeeze(2);
    centroids = new NDArray[nQ];
    halfNorms = new NDArray[nQ];
    for (int i = 0; i < nQ; i++) {
      String cb = prefix + "vq.layers." + i + "._codebook.";
      p.get(cb + "_initialized", 1); // stored in the checkpoint, unused at inference
      NDArray usage = p.get(cb + "cluster_usage", c.bins());
      NDArray sum = p.get(cb + "embedding_sum", c.bins(), c.dimension());
      centroids[i] = sum.div(usage.maximum(EPSILON).expandDims(1));
      halfNorms[i] = centroids[i].square().sum(new int[] {1}).mul(0.5f);
    }
    stacked = nQ == 0 ? null : NDArrays.concat(new NDList(centroids), 0);
  }

  int levels() {
    return centroids.length;
  }

  /**
   * x [B, F, in] → codes [B, F, n] for the first {@code n} levels. argmin ||r − e||² is taken as
   * argmin (||e||²/2 − r·e), which drops the per-row constant ||r||².
   */
  NDArray encode(NDArray x, int n) {
    NDArray r = Ops.linear(x, inputProj);
    NDList codes = new NDList();
    for (int i = 0; i < n; i++) {
      NDArray score = halfNorms[i].sub(Ops.linear(r, centroids[i]));
      score.attach(
          r.getManager()); // sub() puts its result in the weights' manager, which would grow
      // every call
      NDArray idx = score.argMin(-1);
      codes.add(idx.expandDims(-1));
      if (i + 1 < n) {
        r = r.sub(Ops.embedding(idx, centroids[i]));
      }
    }
    return NDArrays.concat(codes, -1);
  }

  /** codes [B, F, n] (int64) → [B, F, out]: sum of the chosen centroids, projected. */
  NDArray decode(NDArray codes) {
    long n = codes.getShape().get(2);
    long[] offsets = new long[(int) n];
    for (int i = 0; i < n; i++) {
      offsets[i] = (long) i * bins;
    }
    NDArray ids = codes.add(codes.getManager().create(offsets));
    // ids < n·bins only reach the first n levels' rows; a slice of the table would be a new array
    // in the weights' manager.
    NDArray summed = Ops.embedding(ids, stacked).sum(new int[] {2});
    return Ops.linear(summed, outputProj);
  }
}
