package dev.parley.codec.mimi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.nn.TransformerConfig;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Mimi's architecture. {@link #kyutai()} is the released codec (moshi {@code
 * loaders._mimi_config}); {@link #fromJson} reads the key layout of the golden {@code
 * mimi_tiny.config.json} ({@code seanet}, {@code transformer}, {@code quantizer}, {@code
 * num_codebooks}, ...), taking the released values for keys it omits.
 */
public record MimiConfig(
    int sampleRate,
    double frameRate,
    Seanet seanet,
    TransformerConfig transformer,
    Quantizer quantizer,
    int numCodebooks) {

  /** SEANet encoder/decoder options ({@code loaders._seanet_kwargs}). */
  public record Seanet(
      int channels,
      int dimension,
      int nFilters,
      int nResidualLayers,
      int[] ratios,
      int kernelSize,
      int residualKernelSize,
      int lastKernelSize,
      int dilationBase,
      int compress) {

    /** Samples per latent step (product of the ratios). */
    public int hopLength() {
      int h = 1;
      for (int r : ratios) {
        h *= r;
      }
      return h;
    }
  }

  /** Split residual vector quantizer options ({@code loaders._quantizer_kwargs}). */
  public record Quantizer(
      int dimension, int nQ, int bins, int inputDimension, int outputDimension) {}

  public MimiConfig {
    if (numCodebooks < 1 || numCodebooks > quantizer.nQ()) {
      throw new IllegalArgumentException(
          "num_codebooks must be in 1.." + quantizer.nQ() + ", got " + numCodebooks);
    }
    if (transformer.dModel() != seanet.dimension()) {
      throw new IllegalArgumentException(
          "transformer d_model must equal the SEANet dimension (no projections)");
    }
  }

  public static MimiConfig kyutai() {
    return new MimiConfig(
        24000,
        12.5,
        new Seanet(1, 512, 64, 1, new int[] {8, 6, 5, 4}, 7, 3, 3, 2, 2),
        new TransformerConfig(
            512, 8, 8, 2048, true, 250, "layer_norm", "none", "rope", 10000, 0.01, 0, null),
        new Quantizer(256, 32, 2048, 512, 512),
        8);
  }

  public MimiConfig withCodebooks(int k) {
    return new MimiConfig(sampleRate, frameRate, seanet, transformer, quantizer, k);
  }

  /** Samples per codec frame (1920 for 24 kHz at 12.5 Hz). */
  public int frameSize() {
    return (int) Math.round(sampleRate / frameRate);
  }

  /** Latent steps per codec frame (2: the encoder runs at 25 Hz). */
  public int resampleStride() {
    int s = frameSize() / seanet.hopLength();
    if (s * seanet.hopLength() != frameSize()) {
      throw new IllegalStateException("frame size is not a multiple of the SEANet hop");
    }
    return s;
  }

  public static MimiConfig fromJson(Path file) throws IOException {
    return fromJson(new ObjectMapper().readTree(file.toFile()));
  }

  public static MimiConfig fromJson(JsonNode root) {
    MimiConfig d = kyutai();
    JsonNode s = root.path("seanet");
    Seanet ds = d.seanet();
    int[] ratios = ds.ratios();
    if (s.has("ratios")) {
      ratios = new int[s.get("ratios").size()];
      for (int i = 0; i < ratios.length; i++) {
        ratios[i] = s.get("ratios").get(i).asInt();
      }
    }
    requireValue(s, "activation", "ELU");
    requireValue(s, "pad_mode", "constant");
    requireValue(s, "norm", "none");
    if (s.has("true_skip") && !s.get("true_skip").asBoolean()) {
      throw new IllegalArgumentException("seanet.true_skip=false is not supported");
    }
    if (s.has("causal") && !s.get("causal").asBoolean()) {
      throw new IllegalArgumentException("only causal Mimi is supported");
    }
    Seanet seanet =
        new Seanet(
            s.path("channels").asInt(ds.channels()),
            s.path("dimension").asInt(ds.dimension()),
            s.path("n_filters").asInt(ds.nFilters()),
            s.path("n_residual_layers").asInt(ds.nResidualLayers()),
            ratios,
            s.path("kernel_size").asInt(ds.kernelSize()),
            s.path("residual_kernel_size").asInt(ds.residualKernelSize()),
            s.path("last_kernel_size").asInt(ds.lastKernelSize()),
            s.path("dilation_base").asInt(ds.dilationBase()),
            s.path("compress").asInt(ds.compress()));
    JsonNode t = root.path("transformer");
    TransformerConfig dt = d.transformer();
    Double layerScale =
        t.has("layer_scale")
            ? (t.get("layer_scale").isNull() ? null : t.get("layer_scale").asDouble())
            : dt.layerScale();
    TransformerConfig transformer =
        new TransformerConfig(
            t.path("d_model").asInt(dt.dModel()),
            t.path("num_heads").asInt(dt.numHeads()),
            t.path("num_layers").asInt(dt.numLayers()),
            t.path("dim_feedforward").asInt(dt.dimFeedforward()),
            t.path("causal").asBoolean(true),
            t.path("context").asInt(dt.context()),
            t.path("norm").asText(dt.norm()),
            t.path("gating").asText(dt.gating()),
            t.path("positional_embedding").asText(dt.positionalEmbedding()),
            t.path("max_period").asDouble(dt.maxPeriod()),
            layerScale,
            0,
            null);
    JsonNode q = root.path("quantizer");
    Quantizer dq = d.quantizer();
    Quantizer quantizer =
        new Quantizer(
            q.path("dimension").asInt(dq.dimension()),
            q.path("n_q").asInt(dq.nQ()),
            q.path("bins").asInt(dq.bins()),
            q.path("input_dimension").asInt(seanet.dimension()),
            q.path("output_dimension").asInt(seanet.dimension()));
    JsonNode m = root.path("model");
    if (m.has("resample_method") && !m.get("resample_method").asText().equals("conv")) {
      throw new IllegalArgumentException("only resample_method=conv is supported");
    }
    return new MimiConfig(
        root.path("sample_rate").asInt(d.sampleRate()),
        root.path("frame_rate").asDouble(d.frameRate()),
        seanet,
        transformer,
        quantizer,
        root.path("num_codebooks").asInt(d.numCodebooks()));
  }

  private static void requireValue(JsonNode node, String key, String expected) {
    if (node.has(key) && !node.get(key).asText().equals(expected)) {
      throw new IllegalArgumentException(
          "seanet."
              + key
              + "="
              + node.get(key).asText()
              + " is not supported (only "
              + expected
              + ")");
    }
  }
}
