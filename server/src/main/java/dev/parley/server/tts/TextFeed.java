package dev.parley.server.tts;

import java.util.List;

/**
 * Text that arrives in pieces (an LLM's tokens: "Hel", "lo wor", "ld") turned into entries as soon
 * as words are whole: everything up to the last whitespace is complete, the rest is held until
 * more text or the end shows where it stops. A break tag is never cut: text from an unclosed
 * {@code <} is held too.
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

  /** Length of the prefix of {@code pending} that ends at whitespace outside any tag. */
  private int completeUpTo() {
    int open = pending.lastIndexOf("<");
    int limit = open >= 0 && pending.indexOf(">", open) < 0 ? open : pending.length();
    for (int i = limit - 1; i >= 0; i--) {
      if (Character.isWhitespace(pending.charAt(i))) {
        return i + 1;
      }
    }
    return limit == pending.length() ? 0 : limit;
  }
}
