package dev.parley.server.tts;

import java.util.List;

/**
 * What one synthesis asks for; null fields take the engine's {@link TtsSettings}.
 *
 * @param voices voice names, one per speaker in turn order (empty: the default voice)
 * @param customVoice an embedding the client sent instead of a name, or null
 * @param temperature sampling temperature, or null
 * @param seed sampler seed, or null (random)
 * @param cfgCoef CFG strength, or null
 */
public record TtsOptions(
    List<String> voices, Voice customVoice, Float temperature, Long seed, Double cfgCoef) {
  public TtsOptions {
    voices = List.copyOf(voices);
  }

  public static TtsOptions defaults() {
    return new TtsOptions(List.of(), null, null, null, null);
  }

  public static TtsOptions voice(String name) {
    return new TtsOptions(
        name == null || name.isBlank() ? List.of() : List.of(name), null, null, null, null);
  }

  public TtsOptions withVoices(List<String> names) {
    return new TtsOptions(names, customVoice, temperature, seed, cfgCoef);
  }

  public TtsOptions withCustomVoice(Voice v) {
    return new TtsOptions(voices, v, temperature, seed, cfgCoef);
  }

  public TtsOptions withSampling(Float temp, Long seedValue) {
    return new TtsOptions(voices, customVoice, temp, seedValue, cfgCoef);
  }

  public TtsOptions withCfg(Double coef) {
    return new TtsOptions(voices, customVoice, temperature, seed, coef);
  }
}
