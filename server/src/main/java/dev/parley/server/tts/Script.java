package dev.parley.server.tts;

import dev.parley.server.text.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code models/tts.py} script_to_entries: a script (one string per speaker turn, starting with the
 * main speaker) becomes entries split on whitespace; {@code <break time="Xs"/>} becomes an empty
 * entry forcing {@code round(X·12.5)} pads; the first word of a turn gets the speaker token (1
 * main, 2 other) when the speaker changes on a multi-speaker model; {@code paddingBetween > 0}
 * forces {@code max(0, paddingBetween + tokens − 1)} pads after each word.
 */
public final class Script {
  private static final Pattern EVENT =
      Pattern.compile(
          "(?:<break\\s+time=\"([0-9]+(?:.[0-9]*)?)s\"\\s*/?>)|(?:\\s+)",
          Pattern.UNICODE_CHARACTER_CLASS); // Python 3 str patterns: \s is Unicode whitespace

  private Script() {}

  public static List<Entry> toEntries(
      TextTokenizer tokenizer,
      List<String> script,
      boolean multiSpeaker,
      int paddingBetween,
      double frameRate) {
    Builder b = new Builder(tokenizer, multiSpeaker, paddingBetween, frameRate);
    List<Entry> entries = new ArrayList<>();
    for (int idx = 0; idx < script.size(); idx++) {
      b.startTurn(idx);
      entries.addAll(b.add(script.get(idx)));
    }
    return entries;
  }

  /**
   * {@link #toEntries} one piece at a time: a turn's text may come in several {@link #add} calls,
   * each holding only whole words (and whole break tags). The speaker state carries over.
   */
  public static final class Builder {
    private final TextTokenizer tokenizer;
    private final boolean multiSpeaker;
    private final int paddingBetween;
    private final double frameRate;
    private int turn;
    private boolean firstContent = true;
    private int lastSpeaker = -1;

    public Builder(
        TextTokenizer tokenizer, boolean multiSpeaker, int paddingBetween, double frameRate) {
      this.tokenizer = tokenizer;
      this.multiSpeaker = multiSpeaker;
      this.paddingBetween = paddingBetween;
      this.frameRate = frameRate;
    }

    /** The next words belong to turn {@code idx} (even: main speaker, odd: the other). */
    public void startTurn(int idx) {
      turn = idx;
      firstContent = true;
    }

    /** The entries of {@code text}, whole words of the current turn. */
    public List<Entry> add(String text) {
      List<Entry> entries = new ArrayList<>();
      String line =
          text.replace('\u2019', '\'').replace(':', ' ').replace("(", "").replace(")", "");
      while (!line.isEmpty()) {
        Matcher m = EVENT.matcher(line);
        if (!m.find()) {
          break;
        }
        String word = line.substring(0, m.start());
        String duration = m.group(1);
        line = line.substring(m.end());
        if (!word.isEmpty()) {
          entries.add(word(word));
        }
        if (duration != null) {
          int padding =
              (int)
                  Math.rint(
                      Double.parseDouble(duration) * frameRate); // Python's round: half to even
          entries.add(new Entry(new int[0], "", padding));
        }
      }
      if (!line.isEmpty()) {
        entries.add(word(line));
      }
      return entries;
    }

    private Entry word(String word) {
      int[] encoded = tokenizer.encode(word);
      int[] tokens = encoded;
      if (firstContent) {
        int speaker = turn % 2;
        if (multiSpeaker && lastSpeaker != speaker) {
          lastSpeaker = speaker;
          tokens = new int[encoded.length + 1];
          tokens[0] = speaker == 0 ? TtsStateMachine.MAIN : TtsStateMachine.OTHER;
          System.arraycopy(encoded, 0, tokens, 1, encoded.length);
        }
        firstContent = false;
      }
      int padding = paddingBetween > 0 ? Math.max(0, paddingBetween + tokens.length - 1) : 0;
      return new Entry(tokens, word, padding);
    }
  }
}
