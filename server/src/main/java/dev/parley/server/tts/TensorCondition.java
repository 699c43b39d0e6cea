package dev.parley.server.tts;

/**
 * Input of a tensor conditioner ({@code conditioners.TensorCondition}, batch 1): {@code values}
 * row-major [length, dim], {@code mask[t]} false where step t is padding.
 */
public record TensorCondition(float[] values, int length, int dim, boolean[] mask) {
  public TensorCondition {
    if (values.length != length * dim || mask.length != length) {
      throw new IllegalArgumentException(
          "tensor condition must be ["
              + length
              + ", "
              + dim
              + "] with "
              + length
              + " mask entries");
    }
  }

  /**
   * {@code make_condition_attributes}: voice embeddings, each {@code [1, D, T]} as stored in a
   * {@code kyutai/tts-voices} file (row-major, D·T floats), placed in slots 0.. of {@code
   * maxSpeakers} slots of T steps each: [maxSpeakers·T, D], mask true for the given voices.
   */
  public static TensorCondition voices(
      java.util.List<float[]> speakerWavs, int dim, int steps, int maxSpeakers) {
    if (speakerWavs.isEmpty()) {
      throw new IllegalArgumentException("at least one voice is needed");
    }
    if (speakerWavs.size() > maxSpeakers) {
      throw new IllegalArgumentException(
          speakerWavs.size() + " voices, the model takes at most " + maxSpeakers);
    }
    int len = maxSpeakers * steps;
    float[] v = new float[len * dim];
    boolean[] mask = new boolean[len];
    for (int s = 0; s < speakerWavs.size(); s++) {
      float[] w = speakerWavs.get(s);
      if (w.length != dim * steps) {
        throw new IllegalArgumentException(
            "voice "
                + s
                + " has "
                + w.length
                + " values, expected [1, "
                + dim
                + ", "
                + steps
                + "]");
      }
      for (int t = 0; t < steps; t++) {
        int row = s * steps + t;
        mask[row] = true;
        for (int d = 0; d < dim; d++) {
          v[row * dim + d] = w[d * steps + t];
        }
      }
    }
    return new TensorCondition(v, len, dim, mask);
  }
}
