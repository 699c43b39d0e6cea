package dev.parley.server.tts;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code fuser} config ({@code ConditionFuser}): conditions summed into every step's input
 * ({@code sum}, each one step long), conditions concatenated along time into the cross-attention
 * source ({@code cross}), with an optional sinusoidal positional embedding times a scale. {@code
 * prepend} must be empty (the reference refuses it too).
 */
public record FuserConfig(
    List<String> sum,
    List<String> cross,
    boolean crossAttentionPosEmb,
    double crossAttentionPosEmbScale) {

  public FuserConfig {
    sum = List.copyOf(sum);
    cross = List.copyOf(cross);
  }

  static FuserConfig parse(JsonNode f) {
    if (f.path("prepend").isArray() && !f.get("prepend").isEmpty()) {
      throw new IllegalArgumentException(
          "fuser: 'prepend' conditions are not supported (nor by the reference)");
    }
    f.fieldNames()
        .forEachRemaining(
            k -> {
              if (!List.of(
                      "sum",
                      "cross",
                      "prepend",
                      "cross_attention_pos_emb",
                      "cross_attention_pos_emb_scale")
                  .contains(k)) {
                throw new IllegalArgumentException("fuser: unknown key '" + k + "'");
              }
            });
    return new FuserConfig(
        names(f.get("sum")),
        names(f.get("cross")),
        f.path("cross_attention_pos_emb").asBoolean(false),
        f.path("cross_attention_pos_emb_scale").asDouble(1.0));
  }

  private static List<String> names(JsonNode n) {
    List<String> out = new ArrayList<>();
    if (n != null && n.isArray()) {
      n.forEach(x -> out.add(x.asText()));
    }
    return out;
  }
}
