package dev.parley.server.tts;

import dev.parley.server.text.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code models/tts.py} script_to_entries: a script (one string per speaker turn, starting with
 * the main speaker) becomes entries split on whitespace; {@code <break time="Xs"/>} becomes an
 * empty entry forcing {@code round(X·12.5)} pads; the first word of a turn gets the speaker token
 * (1 main, 2 other) when the speaker changes on a multi-speaker model; {@code paddingBetween > 0}
 * forces {@code max(0, paddingBetween + tokens − 1)} pads after each word.
 */
public final class Script {
  private static final Pattern EVENT = Pattern.compile("(?:<break\\s+time=\"([0-9]+(?:.[0-9]*)?)s\"\\s*/?>)|(?:\\s+)",
      Pattern.UNICODE_CHARACTER_CLASS); // Python 3 str patterns: \s is Unicode whitespace

  private Script() {}

  public static List<Entry> toEntries(TextTokenizer tokenizer, List<String> script, boolean multiSpeaker,
      int paddingBetween, double frameRate) {
    List<Entry> entries = new ArrayList<>();
    int[] lastSpeaker = {-1};
    for (int idx = 0; idx < script.size(); idx++) {
      boolean[] firstContent = {true};
      String line = script.get(idx).replace('\u2019', '\'').replace(':', ' ').replace("(", "").replace(")", "");
      while (!line.isEmpty()) {
        Matcher m = EVENT.matcher(line);
        if (!m.find()) {
          break;
        }
        String word = line.substring(0, m.start());
        String duration = m.group(1);
        line = line.substring(m.end());
        if (!word.isEmpty()) {
          add(entries, tokenizer, idx, word, firstContent, lastSpeaker, multiSpeaker, paddingBetween);
        }
        if (duration != null) {
          int padding = (int) Math.rint(Double.parseDouble(duration) * frameRate); // Python's round: half to even
          entries.add(new Entry(new int[0], "", padding));
        }
      }
      if (!line.isEmpty()) {
        add(entries, tokenizer, idx, line, firstContent, lastSpeaker, multiSpeaker, paddingBetween);
      }
    }
    return entries;
  }

  private static void add(List<Entry> entries, TextTokenizer tokenizer, int idx, String word, boolean[] firstContent,
      int[] lastSpeaker, boolean multiSpeaker, int paddingBetween) {
    int[] encoded = tokenizer.encode(word);
    int[] tokens = encoded;
    if (firstContent[0]) {
      int speaker = idx % 2;
      if (multiSpeaker && lastSpeaker[0] != speaker) {
        lastSpeaker[0] = speaker;
        tokens = new int[encoded.length + 1];
        tokens[0] = speaker == 0 ? TtsStateMachine.MAIN : TtsStateMachine.OTHER;
        System.arraycopy(encoded, 0, tokens, 1, encoded.length);
      }
      firstContent[0] = false;
    }
    int padding = paddingBetween > 0 ? Math.max(0, paddingBetween + tokens.length - 1) : 0;
    entries.add(new Entry(tokens, word, padding));
  }
}
