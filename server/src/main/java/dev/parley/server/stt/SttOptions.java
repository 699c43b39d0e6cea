package dev.parley.server.stt;

import dev.parley.server.lm.SamplingParams;

/**
 * Per-session transcription settings.
 *
 * @param text how text tokens are drawn: greedy (the reference) unless a client asks otherwise
 * @param seed the sampler's seed (unused when greedy)
 * @param endOfTurnHead the extra head whose pause probability signals the end of a turn (heads 0..3
 *     of the Kyutai models predict a pause of 0.5/1/2/3 s; clients use 2). A model with fewer heads
 *     uses its last one instead; a model without extra heads never signals.
 * @param endOfTurnThreshold the end of a turn is signalled when the head's pause probability
 *     exceeds this (0.5 in the reference clients)
 */
public record SttOptions(
    SamplingParams text, long seed, int endOfTurnHead, double endOfTurnThreshold) {
  public static final int DEFAULT_END_OF_TURN_HEAD = 2;
  public static final double DEFAULT_END_OF_TURN_THRESHOLD = 0.5;

  public SttOptions {
    if (text == null) {
      throw new IllegalArgumentException("text sampling parameters are required");
    }
    if (endOfTurnHead < 0) {
      throw new IllegalArgumentException(
          "end-of-turn head must be 0 or more, got " + endOfTurnHead);
    }
    if (!(endOfTurnThreshold >= 0 && endOfTurnThreshold <= 1)) {
      throw new IllegalArgumentException(
          "end-of-turn threshold must be within 0..1, got " + endOfTurnThreshold);
    }
  }

  /** Greedy text, end of turn on head 2 above 0.5: the reference. */
  public static SttOptions defaults() {
    return new SttOptions(
        SamplingParams.GREEDY, 0, DEFAULT_END_OF_TURN_HEAD, DEFAULT_END_OF_TURN_THRESHOLD);
  }

  public SttOptions withEndOfTurn(int head, double threshold) {
    return new SttOptions(text, seed, head, threshold);
  }
}
