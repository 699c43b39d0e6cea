package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Causal self-attention with RoPE and a ring KV cache (Moshi's StreamingMultiheadAttention). The
 * checkpoint stores the fused projection as {@code self_attn.in_proj_weight} [sets·3·D, D] (q | k |
 * v rows per set) and {@code self_attn.out_proj.weight} [sets·D, D]; with weights per step, set
 * {@code i} serves position {@code i} (or {@code schedule[i]}).
 */
public final class MultiHeadAttention {
  private final NDArray[] inProj;
  private final NDArray[] outProj;
  private final TransformerConfig cfg;
  private final float scale;

  public MultiHeadAttention(Parameters p, String prefix, TransformerConfig cfg) {
    this.cfg = cfg;
    int d = cfg.dModel();
    int sets = cfg.weightSets();
    NDArray in = p.get(prefix + "in_proj_weight", (long) sets * 3 * d, d);
    NDArray out = p.get(prefix + "out_proj.weight", (long) sets * d, d);
    inProj = new NDArray[sets];
    outProj = new NDArray[sets];
    for (int i = 0; i < sets; i++) {
      inProj[i] =
          sets == 1 ? in : in.get(new NDIndex("{}:{}", (long) i * 3 * d, (long) (i + 1) * 3 * d));
      outProj[i] =
          sets == 1 ? out : out.get(new NDIndex("{}:{}", (long) i * d, (long) (i + 1) * d));
    }
    this.scale = (float) (1.0 / Math.sqrt(cfg.headDim()));
  }

  /** x [B, T, D] → [B, T, D]; {@code cache} null for a whole-sequence call. */
  public NDArray forward(NDArray x, AttentionStep step, KvCache cache) {
    Shape s = x.getShape();
    long b = s.get(0);
    long t = s.get(1);
    int h = cfg.numHeads();
    int dh = cfg.headDim();
    NDArray qkv = perStep(x, inProj, step.weightOffset).reshape(b, t, 3, h, dh);
    NDArray q;
    NDArray k;
    if (step.ropeCos != null) {
      NDArray qk =
          RotaryEmbedding.apply(qkv.get(new NDIndex(":, :, :2")), step.ropeCos, step.ropeSin);
      q = qk.get(new NDIndex(":, :, 0"));
      k = qk.get(new NDIndex(":, :, 1"));
    } else {
      q = qkv.get(new NDIndex(":, :, 0"));
      k = qkv.get(new NDIndex(":, :, 1"));
    }
    NDArray v = qkv.get(new NDIndex(":, :, 2"));
    // [B, T, H, Dh] → [B, H, T, Dh]
    q = q.transpose(0, 2, 1, 3).mul(scale);
    k = k.transpose(0, 2, 1, 3);
    v = v.transpose(0, 2, 1, 3);
    if (cache != null) {
      cache.write(k, v, step.writeStart, step.exec);
      // This call's rows, over the ring slots written so far (views kept in this call's scope).
      NDArray[] kv = cache.read(b, step.keyLength, x.getManager());
      k = kv[0];
      v = kv[1];
    }
    NDArray keysT = k.transpose(0, 1, 3, 2);
    if (cache != null) {
      keysT.attach(
          x.getManager()); // a view of the cache would otherwise join the state's manager every
      // call
    }
    NDArray attended =
        step.segments == null
            ? attend(q, keysT, v, step.mask)
            : attendInRuns(q, keysT, v, step.mask, step.segments); // [B, H, T, Dh]
    NDArray merged = attended.transpose(0, 2, 1, 3).reshape(b, t, (long) h * dh);
    return perStep(merged, outProj, step.weightOffset);
  }

  private static NDArray attend(NDArray q, NDArray keysT, NDArray v, NDArray mask) {
    NDArray scores = q.matMul(keysT);
    if (mask != null) {
      scores = scores.add(mask);
    }
    return scores.softmax(-1).matMul(v);
  }

  /**
   * Each run of rows over its own first ring slots: the keys beyond are masked for all of its rows,
   * so they add exact zeros to the softmax and the weighted sum, and need not be read.
   */
  private static NDArray attendInRuns(
      NDArray q, NDArray keysT, NDArray v, NDArray mask, KeySegments runs) {
    NDList parts = new NDList(runs.count());
    for (int r = 0; r < runs.count(); r++) {
      int from = runs.start(r);
      int to = runs.end(r);
      int keys = runs.keys(r);
      parts.add(
          attend(
              q.get(new NDIndex("{}:{}", from, to)),
              keysT.get(new NDIndex("{}:{}, :, :, :{}", from, to, keys)),
              v.get(new NDIndex("{}:{}, :, :{}", from, to, keys)),
              mask.get(new NDIndex("{}:{}, :, :, :{}", from, to, keys))));
    }
    return NDArrays.concat(parts, 0);
  }

  /**
   * {@code apply_weights_per_step}: step t of the call uses weight set {@code index(offset + t)}.
   */
  private NDArray perStep(NDArray x, NDArray[] weights, int offset) {
    if (weights.length == 1) {
      return Ops.linear(x, weights[0]);
    }
    long t = x.getShape().get(1);
    NDList parts = new NDList();
    for (int i = 0; i < t; i++) {
      NDArray xi = t == 1 ? x : x.get(new NDIndex(":, {}:{}", i, i + 1));
      parts.add(Ops.linear(xi, weights[cfg.weightIndex(offset + i)]));
    }
    return parts.size() == 1 ? parts.singletonOrThrow() : NDArrays.concat(parts, 1);
  }
}
