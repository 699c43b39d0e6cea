package dev.parley.server.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.parley.codec.nn.CheckpointParameters;
import dev.parley.codec.nn.ExecMask;
import dev.parley.codec.nn.Norm;
import dev.parley.codec.nn.Ops;
import dev.parley.codec.nn.Parameters;
import dev.parley.codec.nn.RandomParameters;
import dev.parley.codec.nn.Transformer;
import dev.parley.codec.tensor.SafeTensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The speech-text LM ({@code models/lm.py} LMModel): per-stream embeddings summed into the temporal
 * transformer, a text head, and the depth transformer that emits one audio codebook after another.
 * Weights are immutable and shared; streaming state lives in {@link LmGen}.
 */
public final class LmModel {
  private final LmConfig cfg;
  private final DataType dataType;
  private final ScaledEmbedding[] emb;
  private final NDArray audioTable; // all audio embedding tables stacked, or null
  private final ScaledEmbedding textEmb;
  private final Transformer transformer;
  private final Norm outNorm;
  private final NDArray textLinear;
  private final NDArray[] depformerIn;
  private final ScaledEmbedding depformerTextEmb;
  private final ScaledEmbedding[] depformerEmb;
  private final Norm[] depformerNorms;
  private final Transformer depformer;
  private final NDArray[] linears;
  private final NDArray[] extraHeads;

  public LmModel(LmConfig cfg, Parameters p, DataType dataType) {
    this.cfg = cfg;
    this.dataType = dataType;
    int dim = cfg.dim();
    emb = new ScaledEmbedding[cfg.nQ()];
    for (int i = 0; i < emb.length; i++) {
      emb[i] =
          new ScaledEmbedding(
              p,
              "emb." + i + ".",
              cfg.card() + 1L,
              dim,
              /* lowRankDim= */ null,
              /* demux= */ false);
    }
    audioTable = p.materialized() && emb.length > 0 ? ScaledEmbedding.stack(emb) : null;
    textEmb =
        new ScaledEmbedding(
            p, "text_emb.", cfg.textCard() + 1L, dim, null, cfg.demuxSecondTextStream());
    transformer = new Transformer(p, "transformer.", cfg.transformer(), cfg.crossAttention());
    outNorm = Norm.create(cfg.transformer().norm(), p, "out_norm.", dim);
    textLinear = p.get("text_linear.weight", cfg.textCardOut(), dim);
    int depQ = cfg.depQ();
    if (depQ > 0) {
      depformerIn = new NDArray[cfg.depformerInputs()];
      for (int i = 0; i < depformerIn.length; i++) {
        depformerIn[i] = p.get("depformer_in." + i + ".weight", cfg.depformerDim(), dim);
      }
      depformerEmb = new ScaledEmbedding[depQ - 1];
      for (int i = 0; i < depformerEmb.length; i++) {
        depformerEmb[i] =
            new ScaledEmbedding(
                p,
                "depformer_emb." + i + ".",
                cfg.card() + 1L,
                cfg.depformerDim(),
                cfg.depformerLowRankEmbeddings(),
                /* demux= */ false);
      }
      depformerTextEmb =
          new ScaledEmbedding(
              p,
              "depformer_text_emb.",
              cfg.textCard() + 1L,
              cfg.depformerDim(),
              cfg.depformerLowRankEmbeddings(),
              cfg.demuxSecondTextStream());
      depformerNorms = new Norm[depQ];
      if (cfg.depformerNorm() != null) {
        for (int i = 0; i < depQ; i++) {
          depformerNorms[i] =
              Norm.create(cfg.depformerNorm(), p, "depformer_norms." + i + ".", cfg.depformerDim());
        }
      }
      depformer = new Transformer(p, "depformer.", cfg.depformer());
    } else {
      depformerIn = new NDArray[0];
      depformerEmb = null;
      depformerTextEmb = null;
      depformerNorms = null;
      depformer = null;
    }
    linears = new NDArray[depQ];
    for (int i = 0; i < depQ; i++) {
      linears[i] = p.get("linears." + i + ".weight", cfg.card(), cfg.depformerDim());
    }
    extraHeads = new NDArray[cfg.extraHeadsNumHeads()];
    for (int i = 0; i < extraHeads.length; i++) {
      extraHeads[i] = p.get("extra_heads." + i + ".weight", cfg.extraHeadsDim(), dim);
    }
  }

  /** Loads a Kyutai LM checkpoint (BF16/F16/F32), failing once with every mismatch listed. */
  public static LmModel load(Path weights, LmConfig cfg, NDManager manager, DataType dataType)
      throws IOException {
    try (SafeTensorsFile file = SafeTensorsFile.open(weights)) {
      if (file.tensors().keySet().stream().anyMatch(k -> k.startsWith("condition_provider."))) {
        throw new IllegalArgumentException(
            weights
                + " has conditioners (a speech-synthesis model): load it with "
                + "dev.parley.server.tts.TtsModel");
      }
      CheckpointParameters p = new CheckpointParameters(file, manager, dataType, Map.of());
      LmModel model = new LmModel(cfg, p, dataType);
      p.verify();
      return model;
    }
  }

  public static LmModel random(LmConfig cfg, NDManager manager, long seed, DataType dataType) {
    return new LmModel(cfg, new RandomParameters(manager, seed, dataType), dataType);
  }

  public LmConfig config() {
    return cfg;
  }

  public DataType dataType() {
    return dataType;
  }

  public Transformer transformer() {
    return transformer;
  }

  public Transformer depformer() {
    return depformer;
  }

  // ---- building blocks shared by streaming and teacher-forced paths ----------------------------

  /** Sum of every stream's embedding; tokens[b][k][t] → [B, T, dim]. */
  public NDArray embed(NDManager m, long[][][] tokens) {
    int b = tokens.length;
    int t = tokens[0][0].length;
    NDArray text = textEmb.lookup(m, row(tokens, 0), b, t);
    int nq = cfg.nQ();
    if (nq == 0) {
      return text;
    }
    if (audioTable == null) {
      NDArray sum = text;
      for (int k = 0; k < nq; k++) {
        sum = sum.add(emb[k].lookup(m, row(tokens, k + 1), b, t));
      }
      return sum;
    }
    // One lookup in the stacked table: ids offset by each stream's first row, [B, T, n_q] → sum
    // over n_q.
    long rows = cfg.card() + 1L;
    long[] ids = new long[b * t * nq];
    float[] keep = null;
    for (int i = 0; i < b; i++) {
      for (int s = 0; s < t; s++) {
        for (int k = 0; k < nq; k++) {
          long id = tokens[i][k + 1][s];
          int o = (i * t + s) * nq + k;
          if (id == ScaledEmbedding.ZERO_TOKEN) {
            if (keep == null) {
              keep = new float[ids.length];
              java.util.Arrays.fill(keep, 1f);
            }
            keep[o] = 0f;
            id = 0;
          } else if (id < 0 || id >= rows) {
            throw new IllegalArgumentException("audio token " + id + " outside 0.." + (rows - 1));
          }
          ids[o] = k * rows + id;
        }
      }
    }
    NDArray e = Ops.embedding(m.create(ids, new Shape(b, t, nq)), audioTable);
    if (keep != null) {
      e = e.mul(m.create(keep, new Shape(b, t, nq, 1)).toType(e.getDataType(), /* copy= */ false));
    }
    return e.sum(new int[] {2}).add(text);
  }

  private static long[] row(long[][][] tokens, int k) {
    int b = tokens.length;
    int t = tokens[0][k].length;
    long[] out = new long[b * t];
    for (int i = 0; i < b; i++) {
      System.arraycopy(tokens[i][k], 0, out, i * t, t);
    }
    return out;
  }

  /** Final norm of the temporal transformer's output. */
  public NDArray outNorm(NDArray x) {
    return outNorm.apply(x);
  }

  public NDArray textLogits(NDArray transformerOut) {
    return Ops.linear(transformerOut, textLinear);
  }

  /**
   * Input of depformer position {@code k}: its projection of the transformer output plus the
   * token's embedding.
   */
  public NDArray depformerInput(
      NDManager m, int k, NDArray transformerOut, long[] tokens, long... shape) {
    NDArray in = Ops.linear(transformerOut, depformerIn[cfg.depformerInIndex(k)]);
    ScaledEmbedding e = k == 0 ? depformerTextEmb : depformerEmb[k - 1];
    return in.add(e.lookup(m, tokens, shape));
  }

  public NDArray audioLogits(int k, NDArray depformerOut) {
    NDArray x = depformerNorms[k] == null ? depformerOut : depformerNorms[k].apply(depformerOut);
    return Ops.linear(x, linears[k]);
  }

  /** Softmax of every extra head on [B, T, dim] → [B, T, heads, extra_dim]. */
  NDArray extraHeads(NDArray transformerOut) {
    NDList heads = new NDList();
    for (NDArray h : extraHeads) {
      heads.add(Ops.linear(transformerOut, h).softmax(-1));
    }
    return NDArrays.stack(heads, 2);
  }

  // ---- teacher-forced forward (LMModel.forward) ------------------------------------------------

  /**
   * The reference's training-style forward over codes [B, K, T] (row-major; −1 = zero token):
   * delays applied with initial tokens, one initial column prepended, temporal transformer over T
   * steps, depformer over the dep_q codebooks of every step with teacher tokens, delays undone.
   */
  public LmOutput forward(NDManager m, long[] codes, int batch, int steps) {
    int kk = cfg.numCodebooks();
    if (codes.length != batch * kk * steps) {
      throw new IllegalArgumentException("codes must be [B, " + kk + ", T]");
    }
    int[] delays = cfg.delays();
    // delayed[b][k][0..T]: initial column, then the delayed codes
    long[][][] delayed = new long[batch][kk][steps + 1];
    for (int b = 0; b < batch; b++) {
      for (int k = 0; k < kk; k++) {
        long init = initialToken(k);
        delayed[b][k][0] = init;
        for (int t = 0; t < steps; t++) {
          int src = t - delays[k];
          delayed[b][k][t + 1] = src < 0 ? init : codes[(b * kk + k) * steps + src];
        }
      }
    }
    long[][][] input = new long[batch][kk][];
    long[][][] target = new long[batch][kk][];
    for (int b = 0; b < batch; b++) {
      for (int k = 0; k < kk; k++) {
        input[b][k] = java.util.Arrays.copyOfRange(delayed[b][k], 0, steps);
        target[b][k] = java.util.Arrays.copyOfRange(delayed[b][k], 1, steps + 1);
      }
    }
    NDArray out = outNorm(transformer.forward(embed(m, input)));
    float[] transformerOut = out.toType(DataType.FLOAT32, /* copy= */ false).toFloatArray();
    float[] text = textLogits(out).toType(DataType.FLOAT32, /* copy= */ false).toFloatArray();
    int depQ = cfg.depQ();
    int card = cfg.card();
    float[] logits = new float[batch * depQ * steps * card];
    boolean[] mask = new boolean[batch * depQ * steps];
    if (depQ > 0) {
      NDList inputs = new NDList();
      for (int k = 0; k < depQ; k++) {
        inputs.add(depformerInput(m, k, out, row(target, k), batch, steps));
      }
      NDArray dep =
          NDArrays.stack(inputs, 2).reshape(batch * (long) steps, depQ, cfg.depformerDim());
      NDArray depOut = depformer.forward(dep);
      float[][] raw = new float[depQ][];
      for (int k = 0; k < depQ; k++) {
        raw[k] =
            audioLogits(k, depOut.get(new NDIndex(":, {}", k)))
                .toType(DataType.FLOAT32, /* copy= */ false)
                .toFloatArray();
      }
      // Undelay: the logits for frame t of stream 1+k were produced at step t + delay.
      for (int b = 0; b < batch; b++) {
        for (int k = 0; k < depQ; k++) {
          int d = delays[1 + k];
          for (int t = 0; t < steps; t++) {
            int o = ((b * depQ + k) * steps + t) * card;
            boolean valid =
                t + d < steps && codes[(b * kk + 1 + k) * steps + t] != ScaledEmbedding.ZERO_TOKEN;
            mask[(b * depQ + k) * steps + t] = valid;
            if (t + d < steps) {
              System.arraycopy(raw[k], (b * steps + t + d) * card, logits, o, card);
            } else {
              java.util.Arrays.fill(logits, o, o + card, Float.NaN);
            }
          }
        }
      }
    }
    int tc = cfg.textCardOut();
    int d0 = delays[0];
    float[] textOut = new float[batch * steps * tc];
    boolean[] textMask = new boolean[batch * steps];
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < steps; t++) {
        int o = (b * steps + t) * tc;
        if (t + d0 < steps) {
          System.arraycopy(text, (b * steps + t + d0) * tc, textOut, o, tc);
        } else {
          java.util.Arrays.fill(textOut, o, o + tc, Float.NaN);
        }
        textMask[b * steps + t] =
            t + d0 < steps && codes[(b * kk) * steps + t] != ScaledEmbedding.ZERO_TOKEN;
      }
    }
    return new LmOutput(batch, steps, logits, mask, textOut, textMask, transformerOut);
  }

  /** The start-of-sequence token of stream k (text_card for text, card for audio). */
  public long initialToken(int k) {
    return k == 0 ? cfg.textCard() : cfg.card();
  }

  /** Temporal transformer step over [B, 1, dim] inputs with the generator's per-slot state. */
  public NDArray transformerStep(NDArray input, Transformer.State state, ExecMask mask) {
    return outNorm(transformer.step(input, state, mask));
  }

  public NDArray depformerStep(NDArray input, Transformer.State state) {
    return depformer.step(input, state, ExecMask.all(Math.toIntExact(input.getShape().get(0))));
  }
}
