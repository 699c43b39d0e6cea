package dev.parley.server.lm;

/**
 * How one stream's tokens are drawn ({@code utils/sampling.py} sample_token): greedy argmax when
 * the temperature is 0 or less; otherwise softmax(logits / temp) restricted to top-p (if > 0) else
 * top-k (if > 0) else the full distribution.
 */
public record SamplingParams(double temperature, int topK, double topP) {
  public static final SamplingParams GREEDY = new SamplingParams(0, 0, 0);

  /** The reference {@code LMGen}'s text default: temperature 0.7, top-k 25. */
  public static final SamplingParams DEFAULT_TEXT =
      new SamplingParams(0.7, /* topK= */ 25, /* topP= */ 0);

  /** The reference {@code LMGen}'s audio default: temperature 0.8, top-k 250. */
  public static final SamplingParams DEFAULT_AUDIO =
      new SamplingParams(0.8, /* topK= */ 250, /* topP= */ 0);

  public SamplingParams {
    if (Double.isNaN(temperature) || topK < 0 || topP < 0 || topP > 1) {
      throw new IllegalArgumentException(
          "invalid sampling parameters: temp "
              + temperature
              + ", top_k "
              + topK
              + ", top_p "
              + topP);
    }
  }

  public boolean greedy() {
    return temperature <= 0;
  }
}
