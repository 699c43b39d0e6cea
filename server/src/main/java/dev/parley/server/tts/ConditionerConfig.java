package dev.parley.server.tts;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One conditioner of a TTS model's {@code conditioners} config ({@code loaders.get_conditioner}): a
 * LUT ({@code type: "lut"}: {@code n_bins}, {@code dim}, {@code tokenizer: "noop"}, {@code
 * possible_values}) or a tensor conditioner ({@code type: "tensor"}: {@code dim}). Both project to
 * the LM's dim with {@code output_proj} (no bias) and have a {@code learnt_padding} used where the
 * condition is absent.
 *
 * @param possibleValues LUT values in index order (row {@code nBins} is "None"); null for a tensor
 *     conditioner or a LUT without possible values (hash trick, unsupported)
 */
public record ConditionerConfig(
    String name,
    Type type,
    int dim,
    int nBins,
    List<String> possibleValues,
    boolean outputProjection,
    boolean learntPadding) {

  public enum Type {
    LUT,
    TENSOR
  }

  public ConditionerConfig {
    possibleValues = possibleValues == null ? null : List.copyOf(possibleValues);
  }

  /** LUT row of {@code value}; null (absent) is the padding row {@code n_bins}. */
  public int lutIndex(String value) {
    if (type != Type.LUT) {
      throw new IllegalStateException(name + " is not a LUT conditioner");
    }
    if (value == null) {
      return nBins;
    }
    int i = possibleValues.indexOf(value);
    if (i < 0) {
      throw new IllegalArgumentException(
          "'" + value + "' is not a valid value of condition " + name + " " + possibleValues);
    }
    return i;
  }

  /** Parses {@code {"type": "lut", "lut": {...}}} as the reference's loader does. */
  static ConditionerConfig parse(String name, JsonNode c, int outputDim) {
    String type = c.path("type").asText("");
    if (!type.equals("lut") && !type.equals("tensor")) {
      throw new IllegalArgumentException(
          "conditioner " + name + ": unknown type '" + type + "' (lut or tensor)");
    }
    JsonNode k = c.path(type);
    if (!k.isObject()) {
      throw new IllegalArgumentException("conditioner " + name + ": no '" + type + "' arguments");
    }
    if (k.path("output_bias").asBoolean(false)) {
      throw new IllegalArgumentException(
          "conditioner " + name + ": output_bias is not supported (nor by the reference)");
    }
    if (!k.hasNonNull("dim")) {
      throw new IllegalArgumentException("conditioner " + name + ": no dim");
    }
    int dim = k.get("dim").asInt();
    boolean proj = k.path("force_linear").asBoolean(true) || dim != outputDim;
    boolean pad = k.path("learn_padding").asBoolean(true);
    switch (type) {
      case "lut" -> {
        String tokenizer = k.path("tokenizer").asText("");
        if (!tokenizer.equals("noop")) {
          throw new IllegalArgumentException(
              "conditioner " + name + ": unknown LUT tokenizer '" + tokenizer + "'");
        }
        if (!k.hasNonNull("n_bins")) {
          throw new IllegalArgumentException("conditioner " + name + ": no n_bins");
        }
        int nBins = k.get("n_bins").asInt();
        if (!k.path("possible_values").isArray()) {
          throw new IllegalArgumentException(
              "conditioner "
                  + name
                  + ": LUT without possible_values (hash-trick vocabulary) is not supported");
        }
        List<String> values = new ArrayList<>();
        k.get("possible_values").forEach(v -> values.add(v.asText()));
        if (values.size() > nBins) {
          throw new IllegalArgumentException(
              "conditioner " + name + ": more possible_values than n_bins");
        }
        return new ConditionerConfig(name, Type.LUT, dim, nBins, values, proj, pad);
      }
      case "tensor" -> {
        return new ConditionerConfig(name, Type.TENSOR, dim, 0, null, proj, pad);
      }
      default ->
          throw new IllegalArgumentException(
              "conditioner " + name + ": unknown type '" + type + "'");
    }
  }
}
