package dev.parley.server.tts;

import java.util.List;

/**
 * What one whole-script synthesis may ask for, checked before it waits for a slot so that a costly
 * request is refused at once with the limit in the answer, on every transport alike.
 */
public final class ScriptLimits {
  /** Most speaker turns in one request. */
  public static final int MAX_TURNS = 256;

  private ScriptLimits() {}

  /** Why {@code turns} is refused, or null when it is within the limits. */
  public static String refusal(List<String> turns, int maxTextChars) {
    if (turns.size() > MAX_TURNS) {
      return turns.size() + " turns: at most " + MAX_TURNS + " per request";
    }
    long chars = turns.stream().mapToLong(String::length).sum();
    return chars > maxTextChars ? "text longer than " + maxTextChars + " characters" : null;
  }
}
