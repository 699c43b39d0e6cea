package dev.parley.server.tts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.parley.codec.nn.Ops;
import dev.parley.codec.nn.Parameters;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The condition provider and fuser of a TTS model ({@code conditioners/base.py} ConditionProvider,
 * ConditionFuser; {@code text.py} LUTConditioner; {@code tensors.py} TensorConditioner), always in
 * float32 as the reference keeps them. Each conditioner gives {@code output_proj(x)·mask +
 * learnt_padding·(1 − mask)}; the fuser sums the {@code sum} conditions (one step each) and
 * concatenates the {@code cross} ones along time, plus a sinusoidal position embedding when
 * configured.
 */
public final class Conditioners {
  /** Checkpoint prefix of the conditioners' weights. */
  public static final String PREFIX = "condition_provider.conditioners.";

  private final TtsConfig cfg;
  private final Map<String, Weights> weights = new LinkedHashMap<>();

  private record Weights(
      ConditionerConfig cfg, NDArray embed, NDArray outputProj, NDArray learntPadding) {}

  /** {@code p} yields float32 weights (checkpoint keys {@link #PREFIX}{@code name.*}). */
  public Conditioners(TtsConfig cfg, Parameters p) {
    this.cfg = cfg;
    int out = cfg.lm().dim();
    for (ConditionerConfig c : cfg.conditioners().values()) {
      String prefix = PREFIX + c.name() + ".";
      NDArray embed =
          c.type() == ConditionerConfig.Type.LUT
              ? p.get(prefix + "embed.weight", c.nBins() + 1L, c.dim())
              : null;
      NDArray proj =
          c.outputProjection() ? p.get(prefix + "output_proj.weight", out, c.dim()) : null;
      NDArray pad = c.learntPadding() ? p.get(prefix + "learnt_padding", 1, 1, out) : null;
      weights.put(c.name(), new Weights(c, embed, proj, pad));
    }
  }

  /** Every conditioner's output and the fused results, in float32. */
  public record Conditions(Map<String, NDArray> each, NDArray sum, NDArray cross) {}

  /**
   * {@code prepare_and_provide} then the fuser, for one batch item, in {@code m}: every conditioner
   * must get its input (a LUT's string may be null: absent).
   */
  public Conditions compute(NDManager m, ConditionAttributes attrs) {
    Map<String, NDArray> each = new LinkedHashMap<>();
    for (Weights w : weights.values()) {
      String name = w.cfg().name();
      if (w.cfg().type() == ConditionerConfig.Type.LUT) {
        if (!attrs.text().containsKey(name)) {
          throw new IllegalArgumentException("condition '" + name + "' was not given");
        }
        int row = w.cfg().lutIndex(attrs.text().get(name));
        NDArray e =
            Ops.embedding(m.create(new long[] {row}, new Shape(1, 1)), w.embed()); // [1, 1, dim]
        each.put(name, output(m, w, e, new boolean[] {row != w.cfg().nBins()}));
      } else {
        TensorCondition t = attrs.tensors().get(name);
        if (t == null) {
          throw new IllegalArgumentException("condition '" + name + "' was not given");
        }
        if (t.dim() != w.cfg().dim()) {
          throw new IllegalArgumentException(
              "condition '"
                  + name
                  + "' has dim "
                  + t.dim()
                  + ", the model expects "
                  + w.cfg().dim());
        }
        NDArray x = m.create(t.values(), new Shape(1, t.length(), t.dim()));
        each.put(name, output(m, w, x, t.mask()));
      }
    }
    FuserConfig f = cfg.fuser();
    NDArray sum = null;
    for (String n : f.sum()) {
      NDArray c = each.get(n);
      if (c.getShape().get(1) != 1) {
        throw new IllegalArgumentException(
            "sum condition '" + n + "' must be one step long, got " + c.getShape());
      }
      sum = sum == null ? c : sum.add(c);
    }
    NDArray cross = null;
    if (!f.cross().isEmpty()) {
      NDList parts = new NDList();
      for (String n : f.cross()) {
        parts.add(each.get(n));
      }
      cross = parts.size() == 1 ? parts.head() : NDArrays.concat(parts, 1);
      if (f.crossAttentionPosEmb()) {
        int len = Math.toIntExact(cross.getShape().get(1));
        NDArray pos = sinEmbedding(m, len, cfg.lm().dim());
        cross =
            cross.add(
                f.crossAttentionPosEmbScale() == 1.0
                    ? pos
                    : pos.mul((float) f.crossAttentionPosEmbScale()));
      }
    }
    return new Conditions(each, sum, cross);
  }

  /**
   * {@code BaseConditioner.forward} after {@code _get_condition}: projection, then padding where
   * the mask is 0.
   */
  private static NDArray output(NDManager m, Weights w, NDArray x, boolean[] mask) {
    NDArray y = w.outputProj() == null ? x : Ops.linear(x, w.outputProj());
    float[] keep = new float[mask.length];
    boolean all = true;
    for (int i = 0; i < mask.length; i++) {
      keep[i] = mask[i] ? 1f : 0f;
      all &= mask[i];
    }
    NDArray maskf = m.create(keep, new Shape(1, mask.length, 1));
    if (w.learntPadding() == null) {
      return all ? y : y.mul(maskf);
    }
    // cond * mask + learnt_padding * (1 - mask), as the reference writes it.
    // (the per-call array comes first: DJL puts a result in its first operand's manager)
    return y.mul(maskf).add(maskf.neg().add(1f).mul(w.learntPadding()));
  }

  /**
   * {@code create_sin_embedding} of positions 0..len-1: cos half, then sin half, max period 10000.
   */
  static NDArray sinEmbedding(NDManager m, int len, int dim) {
    int half = dim / 2;
    float[] v = new float[len * dim];
    for (int t = 0; t < len; t++) {
      for (int j = 0; j < half; j++) {
        // float32 as torch: max_period ** (j / (half - 1)) then position / that
        float period = (float) Math.pow(10000f, (float) j / (half - 1));
        float phase = (float) t / period;
        v[t * dim + j] = (float) Math.cos(phase);
        v[t * dim + half + j] = (float) Math.sin(phase);
      }
    }
    return m.create(v, new Shape(1, len, dim));
  }

  /** The float32 array as {@code type} (a new array unless it already is). */
  static NDArray as(NDArray a, DataType type) {
    return a == null || a.getDataType() == type ? a : a.toType(type, /* copy= */ false);
  }
}
