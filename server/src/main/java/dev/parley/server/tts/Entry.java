package dev.parley.server.tts;

/**
 * One word to synthesise ({@code models/tts.py} Entry): its text tokens (with a leading speaker
 * token at the start of a turn), its text, and the pads forced after it is consumed. An entry
 * without tokens is a break: consumed, not spoken, its padding only.
 */
public record Entry(int[] tokens, String text, int padding) {
  public Entry {
    tokens = tokens.clone();
  }

  public boolean isBreak() {
    return tokens.length == 0;
  }

  @Override
  public int[] tokens() {
    return tokens.clone();
  }

  @Override
  public String toString() {
    return "Entry[" + text + " " + java.util.Arrays.toString(tokens) + " padding " + padding + "]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Entry e
        && java.util.Arrays.equals(tokens, e.tokens)
        && text.equals(e.text)
        && padding == e.padding;
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(tokens) * 31 + text.hashCode() * 7 + padding;
  }
}
