package dev.parley.server.tts;

import java.util.List;

/**
 * Text that arrives in pieces (an LLM's tokens: "Hel", "lo wor", "ld") turned into entries as soon
 * as words are whole: everything up to the last whitespace is complete, the rest is held until more
 * text or the end shows where it stops. A break tag is never cut: text from an unclosed {@code <}
 * is held too.
 */
public final class TextFeed {
  private final Script.Builder script;
  private final StringBuilder pending = new StringBuilder();
  private long characters;

  public TextFeed(Script.Builder script) {
    this.script = script;
  }

  /** Characters received so far. */
  public long characters() {
    return characters;
  }

  /** The entries of the words {@code piece} completes. */
  public List<Entry> push(CharSequence piece) {
    characters += piece.length();
    pending.append(piece);
    int cut = completeUpTo();
    if (cut <= 0) {
      return List.of();
    }
    String whole = pending.substring(0, cut);
    pending.delete(0, cut);
    return script.add(whole);
  }

  /** A whole speaker turn (anything held before it is ended first). */
  public List<Entry> turn(int index, String text) {
    List<Entry> out = new java.util.ArrayList<>(finish());
    characters += text.length();
    script.startTurn(index);
    out.addAll(script.add(text));
    return out;
  }

  /** End of text: the entries of whatever was held. */
  public List<Entry> finish() {
    String rest = pending.toString();
    pending.setLength(0);
    return rest.isBlank() ? List.of() : script.add(rest);
  }

  private static final java.util.regex.Pattern BREAK_TAG =
      java.util.regex.Pattern.compile(
          "<break\\s+time=\"([0-9]+(?:.[0-9]*)?)s\"\\s*/?>",
          java.util.regex.Pattern.UNICODE_CHARACTER_CLASS);

  /**
   * Length of the longest prefix of {@code pending} that is whole: it ends at whitespace or right
   * after a break tag, and no break tag still being written starts before it.
   */
  private int completeUpTo() {
    int cut = 0;
    int n = pending.length();
    for (int i = 0; i < n; i++) {
      char c = pending.charAt(i);
      if (c == '<') {
        int close = pending.indexOf(">", i);
        if (close < 0) {
          String open = pending.substring(i);
          if (open.startsWith("<break") || "<break".startsWith(open)) {
            return cut; // may still become a break tag: hold it
          }
        } else if (BREAK_TAG.matcher(pending.substring(i, close + 1)).matches()) {
          cut = close + 1;
          i = close;
        }
      } else if (Character.isWhitespace(c)) {
        cut = i + 1;
      }
    }
    return cut;
  }
}
