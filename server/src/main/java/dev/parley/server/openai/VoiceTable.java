package dev.parley.server.openai;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's voice names to Parley voices. A voice the TTS model knows is used as is; one of OpenAI's
 * names is looked up in the table and, when the table does not name it, speaks with the server's
 * default voice, so an unchanged OpenAI application works. The table comes from {@code
 * PARLEY_OPENAI_VOICES} ({@code alloy=voice-a,echo=voice-b}).
 */
public final class VoiceTable {
  public static final String ENVIRONMENT = "PARLEY_OPENAI_VOICES";

  /** OpenAI's built-in voices. */
  static final List<String> OPENAI_VOICES =
      List.of(
          "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer",
          "verse", "marin", "cedar");

  private final Map<String, String> table;

  public VoiceTable(Map<String, String> table) {
    this.table = Map.copyOf(table);
  }

  /** {@code name=voice} pairs separated by commas; blank: an empty table. */
  public static VoiceTable parse(String spec) {
    Map<String, String> m = new LinkedHashMap<>();
    if (spec != null) {
      for (String pair : spec.split(",")) {
        if (pair.isBlank()) {
          continue;
        }
        int eq = pair.indexOf('=');
        if (eq <= 0 || eq == pair.length() - 1) {
          throw new IllegalArgumentException(
              ENVIRONMENT + ": expected name=voice pairs separated by commas, got '" + pair + "'");
        }
        m.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
      }
    }
    return new VoiceTable(m);
  }

  public static VoiceTable fromEnvironment() {
    return parse(System.getenv(ENVIRONMENT));
  }

  /**
   * The Parley voice for {@code requested}; null means the server's default voice.
   *
   * @param known the TTS model's voice names
   */
  String resolve(String requested, List<String> known) {
    if (requested == null || requested.isBlank()) {
      return null;
    }
    if (table.containsKey(requested)) {
      return table.get(requested);
    }
    if (known.contains(requested)) {
      return requested;
    }
    if (OPENAI_VOICES.contains(requested.toLowerCase(java.util.Locale.ROOT))) {
      return null;
    }
    return requested; // unknown: the engine refuses it with the voices it knows
  }
}
