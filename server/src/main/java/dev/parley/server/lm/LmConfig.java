package dev.parley.server.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.nn.TransformerConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The LM architecture (moshi {@code LMModel} keyword arguments). A Kyutai {@code config.json} is
 * read with the reference constructor defaults for every key it omits; the main transformer gets
 * the keys without the {@code depformer_} prefix, the depth transformer those keys overridden by
 * their {@code depformer_} versions, exactly as {@code LMModel.__init__} splits them.
 */
public record LmConfig(
    int[] delays,
    int nQ,
    int depQ,
    int card,
    int textCard,
    int textCardOut,
    boolean demuxSecondTextStream,
    int dim,
    int existingTextPaddingId,
    int existingTextEndPaddingId,
    int extraHeadsNumHeads,
    int extraHeadsDim,
    TransformerConfig transformer,
    int depformerDim,
    boolean depformerMultiLinear,
    boolean depformerWeightsPerStep,
    int[] depformerWeightsPerStepSchedule,
    Integer depformerLowRankEmbeddings,
    String depformerNorm,
    TransformerConfig depformer,
    boolean crossAttention) {

  /**
   * Conditioning keys. {@code cross_attention} is part of the LM (a cross-attention block in every
   * temporal transformer layer); {@code conditioners} and {@code fuser} describe the condition
   * provider, read by {@code dev.parley.server.tts.TtsConfig} — a model with conditioners must be
   * loaded through {@code TtsModel}, since {@link LmModel#load} finds their weights unexpected.
   */
  private static final Set<String> CONDITIONING_KEYS = Set.of("conditioners", "fuser");

  /** Without cross-attention (every model but the TTS ones). */
  public LmConfig(
      int[] delays,
      int nQ,
      int depQ,
      int card,
      int textCard,
      int textCardOut,
      boolean demuxSecondTextStream,
      int dim,
      int existingTextPaddingId,
      int existingTextEndPaddingId,
      int extraHeadsNumHeads,
      int extraHeadsDim,
      TransformerConfig transformer,
      int depformerDim,
      boolean depformerMultiLinear,
      boolean depformerWeightsPerStep,
      int[] depformerWeightsPerStepSchedule,
      Integer depformerLowRankEmbeddings,
      String depformerNorm,
      TransformerConfig depformer) {
    this(
        delays,
        nQ,
        depQ,
        card,
        textCard,
        textCardOut,
        demuxSecondTextStream,
        dim,
        existingTextPaddingId,
        existingTextEndPaddingId,
        extraHeadsNumHeads,
        extraHeadsDim,
        transformer,
        depformerDim,
        depformerMultiLinear,
        depformerWeightsPerStep,
        depformerWeightsPerStepSchedule,
        depformerLowRankEmbeddings,
        depformerNorm,
        depformer,
        false);
  }

  /**
   * Whether the config carries conditioners or a fuser (a TTS model, read with its conditioners).
   */
  public static boolean hasConditioning(JsonNode c) {
    for (String k : CONDITIONING_KEYS) {
      if (c.hasNonNull(k) && !(c.get(k).isBoolean() && !c.get(k).asBoolean())) {
        return true;
      }
    }
    return false;
  }

  public LmConfig {
    if (delays.length != nQ + 1) {
      throw new IllegalArgumentException(
          "expected " + (nQ + 1) + " delays (text + n_q audio), got " + delays.length);
    }
    if (depQ > nQ) {
      throw new IllegalArgumentException("dep_q " + depQ + " > n_q " + nQ);
    }
  }

  /** Streams in the model's token grid: text + n_q audio. */
  public int numCodebooks() {
    return nQ + 1;
  }

  public int maxDelay() {
    int m = 0;
    for (int d : delays) {
      m = Math.max(m, d);
    }
    return m;
  }

  /**
   * Audio streams the caller provides each step (the user's codes for Moshi, all of them for STT).
   */
  public int inputStreams() {
    return nQ - depQ;
  }

  /** The Mimi codebooks this model needs ({@code CheckpointInfo.get_mimi}). */
  public int mimiCodebooks() {
    return Math.max(depQ, nQ - depQ);
  }

  public int depformerInputs() {
    if (!depformerMultiLinear) {
      return 1;
    }
    return depformerWeightsPerStepSchedule != null
        ? max(depformerWeightsPerStepSchedule) + 1
        : depQ;
  }

  public int depformerInIndex(int codebook) {
    if (!depformerMultiLinear) {
      return 0;
    }
    return depformerWeightsPerStepSchedule != null
        ? depformerWeightsPerStepSchedule[codebook]
        : codebook;
  }

  private static int max(int[] v) {
    int m = Integer.MIN_VALUE;
    for (int x : v) {
      m = Math.max(m, x);
    }
    return m;
  }

  public static LmConfig fromJson(Path file) throws IOException {
    return fromJson(new ObjectMapper().readTree(file.toFile()));
  }

  /** Moshi 7B ({@code configs/moshi_7b_202409.json}, identical to {@code loaders._lm_kwargs}). */
  public static LmConfig moshi7b() {
    return fromJson(
        json(
            """
        {"dim": 4096, "text_card": 32000, "existing_text_padding_id": 3, "n_q": 16, "dep_q": 8, "card": 2048,
         "num_heads": 32, "num_layers": 32, "hidden_scale": 4.125, "causal": true, "layer_scale": null,
         "context": 3000, "max_period": 10000, "gating": "silu", "norm": "rms_norm_f32",
         "positional_embedding": "rope", "depformer_dim": 1024, "depformer_dim_feedforward": 4224,
         "depformer_num_heads": 16, "depformer_num_layers": 6, "depformer_causal": true,
         "depformer_layer_scale": null, "depformer_multi_linear": true, "depformer_context": 8,
         "depformer_max_period": 10000, "depformer_gating": "silu", "depformer_pos_emb": "none",
         "depformer_weights_per_step": true,
         "delays": [0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1]}"""));
  }

  /**
   * The golden tests' tiny Moshi-style configuration (dim 32, 2 layers, n_q 8, dep_q 4, card 64).
   */
  public static LmConfig tiny() {
    return fromJson(
        json(
            """
        {"dim": 32, "text_card": 64, "existing_text_padding_id": 3, "n_q": 8, "dep_q": 4, "card": 64,
         "num_heads": 2, "num_layers": 2, "hidden_scale": 4.125, "causal": true, "layer_scale": null,
         "context": 12, "max_period": 10000, "gating": "silu", "norm": "rms_norm_f32",
         "positional_embedding": "rope", "depformer_dim": 16, "depformer_dim_feedforward": 66,
         "depformer_num_heads": 2, "depformer_num_layers": 2, "depformer_layer_scale": null,
         "depformer_multi_linear": true, "depformer_max_period": 10000, "depformer_gating": "silu",
         "depformer_pos_emb": "none", "depformer_weights_per_step": true,
         "delays": [0, 0, 1, 1, 1, 0, 1, 1, 1]}"""));
  }

  /**
   * The benchmark's "small" configuration: dim 1024, 16 heads, 8 layers; depformer 512, 8 heads, 4
   * layers; n_q 16, dep_q 8, card 2048, text_card 32000, context 3000; otherwise Moshi 7B.
   */
  public static LmConfig small() {
    return fromJson(
        json(
            """
        {"dim": 1024, "text_card": 32000, "existing_text_padding_id": 3, "n_q": 16, "dep_q": 8, "card": 2048,
         "num_heads": 16, "num_layers": 8, "hidden_scale": 4.125, "causal": true, "layer_scale": null,
         "context": 3000, "max_period": 10000, "gating": "silu", "norm": "rms_norm_f32",
         "positional_embedding": "rope", "depformer_dim": 512, "depformer_dim_feedforward": 2112,
         "depformer_num_heads": 8, "depformer_num_layers": 4, "depformer_layer_scale": null,
         "depformer_multi_linear": true, "depformer_max_period": 10000, "depformer_gating": "silu",
         "depformer_pos_emb": "none", "depformer_weights_per_step": true,
         "delays": [0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1]}"""));
  }

  private static JsonNode json(String s) {
    try {
      return new ObjectMapper().readTree(s);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static LmConfig fromJson(JsonNode c) {
    if (c.path("norm_emb").asBoolean(false)) {
      throw new IllegalArgumentException(
          "norm_emb=true is not supported (no released model uses it)");
    }
    if (c.path("bias_proj").asBoolean(false)) {
      throw new IllegalArgumentException(
          "bias_proj=true is not supported (no released model uses it)");
    }
    if (c.path("kv_repeat").asInt(1) != 1 || c.path("depformer_kv_repeat").asInt(1) != 1) {
      throw new IllegalArgumentException("kv_repeat != 1 is not supported");
    }
    if (c.path("quantize").asBoolean(false)) {
      throw new IllegalArgumentException(
          "int8-quantized checkpoints (quantize=true) are not supported");
    }
    int nQ = c.path("n_q").asInt(8);
    int depQ = c.path("dep_q").asInt(8);
    int card = c.path("card").asInt(1024);
    int textCard = c.path("text_card").asInt(32000);
    int dim = c.path("dim").asInt(128);
    double hiddenScale = c.path("hidden_scale").asDouble(4);
    String norm = c.path("norm").asText("layer_norm");
    boolean causal = c.path("causal").asBoolean(true);
    int[] delays = ints(c.get("delays"), new int[] {0});
    int context = c.hasNonNull("context") ? c.get("context").asInt() : 0;
    if (!c.has("num_layers")) {
      throw new IllegalArgumentException("config has no num_layers");
    }
    String gating = c.path("gating").asText("none");
    Double layerScale = c.hasNonNull("layer_scale") ? c.get("layer_scale").asDouble() : null;
    String posEmb = c.path("positional_embedding").asText("sin");
    double maxPeriod = c.path("max_period").asDouble(10000);
    TransformerConfig main =
        new TransformerConfig(
            dim,
            c.path("num_heads").asInt(8),
            c.get("num_layers").asInt(),
            (int) (hiddenScale * dim),
            causal,
            context,
            norm,
            gating,
            posEmb,
            maxPeriod,
            layerScale,
            0,
            null);

    int depDim = c.path("depformer_dim").asInt(256);
    boolean perStep = c.path("depformer_weights_per_step").asBoolean(false);
    int[] schedule =
        c.hasNonNull("depformer_weights_per_step_schedule")
            ? ints(c.get("depformer_weights_per_step_schedule"), null)
            : null;
    if (schedule != null && schedule.length != depQ) {
      throw new IllegalArgumentException(
          "depformer_weights_per_step_schedule must have dep_q entries");
    }
    int depFf =
        c.hasNonNull("depformer_dim_feedforward")
            ? c.get("depformer_dim_feedforward").asInt()
            : (int) (hiddenScale * depDim);
    TransformerConfig dep = null;
    if (depQ > 0) {
      // The depformer inherits the main keyword arguments, then its own depformer_* ones win.
      dep =
          new TransformerConfig(
              depDim,
              c.has("depformer_num_heads")
                  ? c.get("depformer_num_heads").asInt()
                  : requireKey(c, "depformer_num_heads"),
              c.path("depformer_num_layers").asInt(main.numLayers()),
              depFf,
              causal,
              0,
              norm,
              c.path("depformer_gating").asText(gating),
              c.path("depformer_pos_emb").asText("sin"),
              c.path("depformer_max_period").asDouble(maxPeriod),
              c.has("depformer_layer_scale")
                  ? (c.get("depformer_layer_scale").isNull()
                      ? null
                      : c.get("depformer_layer_scale").asDouble())
                  : layerScale,
              perStep ? depQ : 0,
              perStep ? schedule : null);
    }
    if (c.hasNonNull("personaplex")) {
      // A PersonaPlex checkpoint: the fork's ring positions are part of what the model learnt.
      main = main.withOldestKeyMasked();
      dep = dep == null ? null : dep.withOldestKeyMasked();
    }
    boolean demux =
        c.path("demux_second_text_stream")
            .asBoolean(c.path("demux_second_stream").asBoolean(false));
    return new LmConfig(
        delays,
        nQ,
        depQ,
        card,
        textCard,
        c.hasNonNull("text_card_out") ? c.get("text_card_out").asInt() : textCard,
        demux,
        dim,
        c.path("existing_text_padding_id").asInt(3),
        c.path("existing_text_end_padding_id").asInt(0),
        c.path("extra_heads_num_heads").asInt(0),
        c.path("extra_heads_dim").asInt(6),
        main,
        depDim,
        c.path("depformer_multi_linear").asBoolean(false),
        perStep,
        schedule,
        c.hasNonNull("depformer_low_rank_embeddings")
            ? c.get("depformer_low_rank_embeddings").asInt()
            : null,
        c.hasNonNull("depformer_norm") ? c.get("depformer_norm").asText() : null,
        dep,
        c.path("cross_attention").asBoolean(false));
  }

  private static int requireKey(JsonNode c, String key) {
    throw new IllegalArgumentException("config has dep_q > 0 but no " + key);
  }

  private static int[] ints(JsonNode n, int[] dflt) {
    if (n == null || n.isNull()) {
      return dflt;
    }
    List<Integer> v = new ArrayList<>();
    n.forEach(x -> v.add(x.asInt()));
    return v.stream().mapToInt(Integer::intValue).toArray();
  }
}
