package dev.parley.server.tts;

import java.util.HashMap;
import java.util.Map;

/**
 * What the conditioners are given ({@code conditioners.ConditionAttributes}, one batch item): a
 * string (or null = absent) per LUT conditioner and a tensor per tensor conditioner.
 */
public record ConditionAttributes(Map<String, String> text, Map<String, TensorCondition> tensors) {
  public ConditionAttributes {
    text = java.util.Collections.unmodifiableMap(new HashMap<>(text)); // values may be null
    tensors = Map.copyOf(tensors);
  }

  /**
   * {@code dropout_all_conditions}: every text condition absent, every tensor zeroed with its mask
   * off (the unconditioned row of classic CFG).
   */
  public ConditionAttributes nulled() {
    Map<String, String> t = new HashMap<>();
    for (String k : text.keySet()) {
      t.put(k, null);
    }
    Map<String, TensorCondition> z = new HashMap<>();
    tensors.forEach(
        (k, v) ->
            z.put(
                k,
                new TensorCondition(
                    new float[v.values().length], v.length(), v.dim(), new boolean[v.length()])));
    return new ConditionAttributes(t, z);
  }

  /**
   * {@code TTSModel.make_condition_attributes}: {@code control} "ok", {@code cfg} the CFG strength
   * formatted with one decimal (null = absent, for models without CFG distillation), and the voices
   * as {@code speaker_wavs}.
   */
  public static ConditionAttributes forTts(TtsConfig cfg, TensorCondition voices, Double cfgCoef) {
    Map<String, String> text = new HashMap<>();
    text.put("control", "ok");
    if (cfgCoef == null) {
      text.put("cfg", null);
    } else {
      String v = String.format(java.util.Locale.ROOT, "%.1f", cfgCoef);
      java.util.List<String> valid = cfg.validCfgValues();
      boolean ok = false;
      for (String x : valid) {
        ok |= Double.parseDouble(x) == cfgCoef;
      }
      if (!ok) {
        throw new IllegalArgumentException(
            "unsupported cfg_coef " + cfgCoef + ", valid values are " + valid);
      }
      text.put("cfg", v);
    }
    return new ConditionAttributes(
        text, voices == null ? Map.of() : Map.of("speaker_wavs", voices));
  }
}
