package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

/**
 * Pre-norm layer: {@code x += ls1(attn(norm1(x)))}, {@code x += ls2(ff(norm2(x)))}
 * (StreamingTransformerLayer; LayerScale only when configured).
 */
public final class TransformerLayer {
  private final Norm norm1;
  private final Norm norm2;
  private final MultiHeadAttention attention;
  private final FeedForward[] feedForward;
  private final NDArray layerScale1;
  private final NDArray layerScale2;
  private final TransformerConfig cfg;

  /** {@code prefix} e.g. {@code transformer.layers.3.} */
  public TransformerLayer(Parameters p, String prefix, TransformerConfig cfg) {
    this.cfg = cfg;
    int d = cfg.dModel();
    this.attention = new MultiHeadAttention(p, prefix + "self_attn.", cfg);
    this.norm1 = Norm.create(cfg.norm(), p, prefix + "norm1.", d);
    this.norm2 = Norm.create(cfg.norm(), p, prefix + "norm2.", d);
    int sets = cfg.weightSets();
    if (cfg.weightsPerStep() > 0 && cfg.gating().equals("none")) {
      throw new IllegalArgumentException("weights_per_step without gating is not supported (nor by the reference)");
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
  }

  public NDArray forward(NDArray x, AttentionStep step, KvCache cache) {
    NDArray a = attention.forward(norm1.apply(x), step, cache);
    x = x.add(layerScale1 == null ? a : a.mul(layerScale1));
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
