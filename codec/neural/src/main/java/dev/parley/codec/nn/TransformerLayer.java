package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

/**
 * Pre-norm layer: {@code x += ls1(attn(norm1(x)))}, optionally {@code x +=
 * lsc(cross(norm_cross(x)))}, then {@code x += ls2(ff(norm2(x)))} (StreamingTransformerLayer;
 * LayerScale only when configured; the cross-attention norm is always a LayerNorm with eps 1e-5, as
 * in the reference).
 */
public final class TransformerLayer {
  private final Norm norm1;
  private final Norm norm2;
  private final MultiHeadAttention attention;
  private final FeedForward[] feedForward;
  private final NDArray layerScale1;
  private final NDArray layerScale2;
  private final TransformerConfig cfg;
  private final CrossAttention crossAttention; // null without cross-attention
  private final Norm normCross;
  private final NDArray layerScaleCross;

  /** {@code prefix} e.g. {@code transformer.layers.3.} */
  public TransformerLayer(Parameters p, String prefix, TransformerConfig cfg) {
    this(p, prefix, cfg, false);
  }

  /**
   * A layer with a cross-attention block ({@code cross_attention}, {@code norm_cross}) when {@code
   * crossAttention}.
   */
  public TransformerLayer(
      Parameters p, String prefix, TransformerConfig cfg, boolean crossAttention) {
    this.cfg = cfg;
    int d = cfg.dModel();
    this.attention = new MultiHeadAttention(p, prefix + "self_attn.", cfg);
    this.norm1 = Norm.create(cfg.norm(), p, prefix + "norm1.", d);
    this.norm2 = Norm.create(cfg.norm(), p, prefix + "norm2.", d);
    int sets = cfg.weightSets();
    if (cfg.weightsPerStep() > 0 && cfg.gating().equals("none")) {
      throw new IllegalArgumentException(
          "weights_per_step without gating is not supported (nor by the reference)");
    }
    feedForward = new FeedForward[sets];
    for (int i = 0; i < sets; i++) {
      String gp = cfg.weightsPerStep() > 0 ? prefix + "gating." + i + "." : prefix + "gating.";
      feedForward[i] = FeedForward.create(cfg.gating(), p, prefix, gp, d, cfg.dimFeedforward());
    }
    if (cfg.layerScale() != null) {
      layerScale1 = p.get(prefix + "layer_scale_1.scale", d);
      layerScale2 = p.get(prefix + "layer_scale_2.scale", d);
    } else {
      layerScale1 = null;
      layerScale2 = null;
    }
    if (crossAttention) {
      if (cfg.weightsPerStep() > 0) {
        throw new IllegalArgumentException(
            "cross-attention with weights per step is not supported (nor by the reference)");
      }
      this.crossAttention = new CrossAttention(p, prefix + "cross_attention.", d, cfg.numHeads());
      this.normCross =
          new Norm.Layer(
              p.get(prefix + "norm_cross.weight", d),
              p.get(prefix + "norm_cross.bias", d),
              1e-5f,
              false);
      this.layerScaleCross =
          cfg.layerScale() != null ? p.get(prefix + "layer_scale_cross.scale", d) : null;
    } else {
      this.crossAttention = null;
      this.normCross = null;
      this.layerScaleCross = null;
    }
  }

  public boolean hasCrossAttention() {
    return crossAttention != null;
  }

  /** The cross-attention keys and values of {@code source} [B, S, D] (two arrays [B, H, S, Dh]). */
  public NDArray[] crossKeysValues(NDArray source) {
    if (crossAttention == null) {
      throw new IllegalStateException("this layer has no cross-attention");
    }
    return crossAttention.keysValues(source);
  }

  public NDArray forward(NDArray x, AttentionStep step, KvCache cache) {
    return forward(x, step, cache, null, null);
  }

  /**
   * With cross-attention keys/values [B, H, S, Dh] (required exactly when the layer has
   * cross-attention).
   */
  public NDArray forward(
      NDArray x, AttentionStep step, KvCache cache, NDArray crossKeys, NDArray crossValues) {
    NDArray a = attention.forward(norm1.apply(x), step, cache);
    x = x.add(layerScale1 == null ? a : a.mul(layerScale1));
    if (crossAttention != null) {
      if (crossKeys == null || crossValues == null) {
        throw new IllegalStateException(
            "a layer with cross-attention needs its cross-attention source");
      }
      NDArray c = crossAttention.forward(normCross.apply(x), crossKeys, crossValues);
      x = x.add(layerScaleCross == null ? c : c.mul(layerScaleCross));
    }
    NDArray f = feedForward(norm2.apply(x), step.weightOffset);
    return x.add(layerScale2 == null ? f : f.mul(layerScale2));
  }

  private NDArray feedForward(NDArray x, int offset) {
    if (feedForward.length == 1) {
      return feedForward[0].apply(x);
    }
    long t = x.getShape().get(1);
    NDList parts = new NDList();
    for (int i = 0; i < t; i++) {
      NDArray xi = t == 1 ? x : x.get(new NDIndex(":, {}:{}", i, i + 1));
      parts.add(feedForward[cfg.weightIndex(offset + i)].apply(xi));
    }
    return parts.size() == 1 ? parts.singletonOrThrow() : NDArrays.concat(parts, 1);
  }
}
