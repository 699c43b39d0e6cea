package dev.parley.server.tts;

/**
 * How a {@link TtsEngine} drives its model, with moshi-server's {@code tts.py} defaults.
 *
 * @param codebooks audio codebooks generated (the reference's {@code n_q}; the server's 24 for
 *     tts-1.6b, at most the model's {@code dep_q})
 * @param temperature default sampling temperature of text and audio (0.6)
 * @param cfgCoef default CFG strength (2.0), given as the {@code cfg} condition to distilled models
 * @param maxPadding pads before a new word is forced (8)
 * @param initialPadding pads forced at the start (2)
 * @param finalPadding steps run after the text ends, on top of the text lead (4)
 * @param paddingBetween pads forced after each word, plus one per extra token (1)
 * @param paddingBonus added to the pad logit (0)
 * @param maxTextChars most characters one synthesis may be given (longer is refused)
 * @param maxSteps most model steps one synthesis may run (12.5 per second of audio)
 * @param underrunLeadSeconds when a streamed text runs dry, the engine keeps stepping (pads) once
 *     the audio sent is less than this far ahead of real-time playback, so the words already given
 *     are heard; 0 turns this off (wait like moshi-server)
 */
public record TtsSettings(
    int codebooks,
    float temperature,
    double cfgCoef,
    int maxPadding,
    int initialPadding,
    int finalPadding,
    int paddingBetween,
    float paddingBonus,
    int maxTextChars,
    int maxSteps,
    double underrunLeadSeconds) {

  public TtsSettings {
    if (maxTextChars < 1
        || maxSteps < 1
        || codebooks < 1
        || temperature < 0
        || underrunLeadSeconds < 0) {
      throw new IllegalArgumentException("invalid TTS settings");
    }
  }

  /**
   * moshi-server's defaults for {@code model} (all its codebooks up to 24; greedy for the demo).
   */
  public static TtsSettings of(SynthesisModel model) {
    int depQ = model.config().lm().depQ();
    return new TtsSettings(
        Math.min(24, depQ), model.isDemo() ? 0f : 0.6f, 2.0, 8, 2, 4, 1, 0f, 50_000, 30_000, 0.5);
  }

  public TtsSettings withCodebooks(int n) {
    return new TtsSettings(
        n,
        temperature,
        cfgCoef,
        maxPadding,
        initialPadding,
        finalPadding,
        paddingBetween,
        paddingBonus,
        maxTextChars,
        maxSteps,
        underrunLeadSeconds);
  }

  public TtsSettings withTemperature(float t) {
    return new TtsSettings(
        codebooks,
        t,
        cfgCoef,
        maxPadding,
        initialPadding,
        finalPadding,
        paddingBetween,
        paddingBonus,
        maxTextChars,
        maxSteps,
        underrunLeadSeconds);
  }

  public TtsSettings withLimits(int chars, int steps) {
    return new TtsSettings(
        codebooks,
        temperature,
        cfgCoef,
        maxPadding,
        initialPadding,
        finalPadding,
        paddingBetween,
        paddingBonus,
        chars,
        steps,
        underrunLeadSeconds);
  }

  public TtsSettings withUnderrunLead(double seconds) {
    return new TtsSettings(
        codebooks,
        temperature,
        cfgCoef,
        maxPadding,
        initialPadding,
        finalPadding,
        paddingBetween,
        paddingBonus,
        maxTextChars,
        maxSteps,
        seconds);
  }
}
