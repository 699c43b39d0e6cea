package dev.parley.codec.nn;

/**
 * Options of Moshi's StreamingTransformer that the released Kyutai models use. Defaults mirror the
 * reference constructor where a config file may omit a key.
 *
 * @param context attention span in steps; 0 means unlimited (streaming then needs {@code
 *     weightsPerStep} to size the cache, as in the reference)
 * @param norm {@code layer_norm}, {@code layer_norm_f32}, {@code rms_norm} or {@code rms_norm_f32}
 * @param gating {@code none} (GELU MLP with linear1/linear2) or an activation name for the gated
 *     feed-forward ({@code silu}, {@code gelu}, ...)
 * @param positionalEmbedding {@code rope}, {@code sin}, {@code sin_rope} or {@code none}
 * @param layerScale initial LayerScale value, or null for none
 * @param weightsPerStep number of per-position weight sets (depformer), 0 for shared weights
 * @param weightsPerStepSchedule position → weight set, or null for the identity
 * @param maskOldestKey the PersonaPlex fork's ring positions: once the KV ring is full, the slot of
 *     the oldest key is given a future position and so masked (a one-step call sees C − 1 keys)
 */
public record TransformerConfig(
    int dModel,
    int numHeads,
    int numLayers,
    int dimFeedforward,
    boolean causal,
    int context,
    String norm,
    String gating,
    String positionalEmbedding,
    double maxPeriod,
    Double layerScale,
    int weightsPerStep,
    int[] weightsPerStepSchedule,
    boolean maskOldestKey) {

  /** Kyutai's ring positions (every model but PersonaPlex). */
  public TransformerConfig(
      int dModel,
      int numHeads,
      int numLayers,
      int dimFeedforward,
      boolean causal,
      int context,
      String norm,
      String gating,
      String positionalEmbedding,
      double maxPeriod,
      Double layerScale,
      int weightsPerStep,
      int[] weightsPerStepSchedule) {
    this(
        dModel,
        numHeads,
        numLayers,
        dimFeedforward,
        causal,
        context,
        norm,
        gating,
        positionalEmbedding,
        maxPeriod,
        layerScale,
        weightsPerStep,
        weightsPerStepSchedule,
        false);
  }

  /**
   * The same transformer with the PersonaPlex fork's ring positions (see {@code maskOldestKey}).
   */
  public TransformerConfig withOldestKeyMasked() {
    return new TransformerConfig(
        dModel,
        numHeads,
        numLayers,
        dimFeedforward,
        causal,
        context,
        norm,
        gating,
        positionalEmbedding,
        maxPeriod,
        layerScale,
        weightsPerStep,
        weightsPerStepSchedule,
        true);
  }

  public TransformerConfig {
    if (dModel % numHeads != 0) {
      throw new IllegalArgumentException(
          "d_model " + dModel + " not divisible by " + numHeads + " heads");
    }
    if (!java.util.Set.of("rope", "sin", "sin_rope", "none").contains(positionalEmbedding)) {
      throw new IllegalArgumentException("unsupported positional_embedding " + positionalEmbedding);
    }
  }

  public int headDim() {
    return dModel / numHeads;
  }

  public boolean usesRope() {
    return positionalEmbedding.equals("rope") || positionalEmbedding.equals("sin_rope");
  }

  public boolean usesSin() {
    return positionalEmbedding.equals("sin") || positionalEmbedding.equals("sin_rope");
  }

  /** Number of distinct weight sets per layer (1 without weights per step). */
  public int weightSets() {
    if (weightsPerStep <= 0) {
      return 1;
    }
    if (weightsPerStepSchedule != null) {
      int max = 0;
      for (int s : weightsPerStepSchedule) {
        max = Math.max(max, s);
      }
      return max + 1;
    }
    return weightsPerStep;
  }

  /** Weight set used at streaming position {@code position}. */
  public int weightIndex(int position) {
    if (weightsPerStep <= 0) {
      return 0;
    }
    return weightsPerStepSchedule != null ? weightsPerStepSchedule[position] : position;
  }

  /** Ring KV cache capacity for streaming (the reference's rule). */
  public int cacheCapacity() {
    if (context > 0) {
      return context;
    }
    if (weightsPerStep > 0) {
      return weightsPerStep;
    }
    throw new IllegalStateException(
        "streaming needs a context or weights per step to size the KV cache");
  }
}
