package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Moshi's cross-attention ({@code StreamingMultiheadAttention(cross_attention=True)}): queries from
 * the layer input, keys and values from a fixed source (e.g. the voice condition). The fused
 * projection {@code in_proj_weight} [3·D, D] holds the query rows first, then key and value rows;
 * no RoPE, no mask, no bias, one weight set. Keys and values depend only on the source, so a
 * streaming caller computes them once ({@link #keysValues}) and reuses them every step.
 */
public final class CrossAttention {
  private final NDArray query; // [D, D]
  private final NDArray keyValue; // [2·D, D]
  private final NDArray outProj; // [D, D]
  private final int heads;
  private final int headDim;
  private final float scale;

  /** {@code prefix} e.g. {@code transformer.layers.0.cross_attention.} */
  public CrossAttention(Parameters p, String prefix, int dim, int heads) {
    if (dim % heads != 0) {
      throw new IllegalArgumentException(
          "d_model " + dim + " not divisible by " + heads + " heads");
    }
    NDArray in = p.get(prefix + "in_proj_weight", 3L * dim, dim);
    this.query = in.get(new NDIndex("0:{}", dim));
    this.keyValue = in.get(new NDIndex("{}:", dim));
    this.outProj = p.get(prefix + "out_proj.weight", dim, dim);
    this.heads = heads;
    this.headDim = dim / heads;
    this.scale = (float) (1.0 / Math.sqrt(headDim));
  }

  /**
   * Keys and values of {@code source} [B, S, D]: two arrays [B, H, S, Dh], in the source's manager.
   */
  public NDArray[] keysValues(NDArray source) {
    Shape s = source.getShape();
    long b = s.get(0);
    long t = s.get(1);
    NDArray kv = Ops.linear(source, keyValue).reshape(b, t, 2, heads, headDim);
    NDArray k = kv.get(new NDIndex(":, :, 0")).transpose(0, 2, 1, 3);
    NDArray v = kv.get(new NDIndex(":, :, 1")).transpose(0, 2, 1, 3);
    return new NDArray[] {k, v};
  }

  /** x [B, T, D] attends over keys/values [B, H, S, Dh] → [B, T, D]. */
  public NDArray forward(NDArray x, NDArray keys, NDArray values) {
    Shape s = x.getShape();
    long b = s.get(0);
    long t = s.get(1);
    NDArray q = Ops.linear(x, query).reshape(b, t, heads, headDim).transpose(0, 2, 1, 3).mul(scale);
    NDArray keysT = keys.transpose(0, 1, 3, 2);
    keysT.attach(
        x.getManager()); // a view of state-owned keys would otherwise join the state's manager
    NDArray attended = q.matMul(keysT).softmax(-1).matMul(values); // [B, H, T, Dh]
    return Ops.linear(
        attended.transpose(0, 2, 1, 3).reshape(b, t, (long) heads * headDim), outProj);
  }
}
