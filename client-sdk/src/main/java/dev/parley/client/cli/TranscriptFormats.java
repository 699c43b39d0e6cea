package dev.parley.client.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.proto.v1.PauseProbabilities;
import dev.parley.proto.v1.TranscriptionInfo;
import dev.parley.proto.v1.Word;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The documents {@code parley transcribe} writes from a final transcript: plain text (optionally
 * with end-of-turn marks), JSON, SubRip (SRT) and WebVTT subtitles. Pure functions of the words, so
 * they are tested on fixed word lists.
 */
final class TranscriptFormats {
  /** Longest a subtitle cue may last, from its first word's start to its last word's end. */
  static final double MAX_CUE_SECONDS = 7.0;

  /** Longest a subtitle cue's text may be (one comfortable subtitle line). */
  static final int MAX_CUE_CHARS = 42;

  private TranscriptFormats() {}

  /**
   * The end-of-turn head fired after {@code wordsBefore} words had arrived.
   *
   * @param step the model step of the EndOfTurn message
   * @param probability the head's probability then
   */
  record TurnEnd(int wordsBefore, long step, float probability) {}

  /** One subtitle: words joined by spaces, from the first's start to the last's end. */
  record Cue(double start, double end, String text) {}

  /**
   * Splits words into cues: a new cue at an end of turn, past {@link #MAX_CUE_CHARS} or {@link
   * #MAX_CUE_SECONDS}.
   */
  static List<Cue> cues(List<Word> words, List<TurnEnd> turns) {
    return cues(words, turns, MAX_CUE_SECONDS, MAX_CUE_CHARS);
  }

  static List<Cue> cues(List<Word> words, List<TurnEnd> turns, double maxSeconds, int maxChars) {
    boolean[] breakBefore = turnBreaks(words.size(), turns);
    List<Cue> cues = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    double start = 0;
    double end = 0;
    for (int i = 0; i < words.size(); i++) {
      Word w = words.get(i);
      double wEnd = Math.max(w.getStartS(), w.getEndS());
      boolean fits =
          text.length() > 0
              && !breakBefore[i]
              && text.length() + 1 + w.getText().length() <= maxChars
              && wEnd - start <= maxSeconds;
      if (text.length() > 0 && !fits) {
        cues.add(new Cue(start, end, text.toString()));
        text.setLength(0);
      }
      if (text.length() == 0) {
        start = w.getStartS();
      } else {
        text.append(' ');
      }
      text.append(w.getText());
      end = wEnd;
    }
    if (text.length() > 0) {
      cues.add(new Cue(start, end, text.toString()));
    }
    return cues;
  }

  /** SubRip: numbered cues, {@code HH:MM:SS,mmm --> HH:MM:SS,mmm}, a blank line after each. */
  static String srt(List<Cue> cues) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < cues.size(); i++) {
      Cue c = cues.get(i);
      b.append(i + 1)
          .append('\n')
          .append(timestamp(c.start(), ','))
          .append(" --> ")
          .append(timestamp(c.end(), ','))
          .append('\n')
          .append(c.text())
          .append("\n\n");
    }
    return b.toString();
  }

  /** WebVTT: the {@code WEBVTT} header, then cues {@code HH:MM:SS.mmm --> HH:MM:SS.mmm}. */
  static String vtt(List<Cue> cues) {
    StringBuilder b = new StringBuilder("WEBVTT\n\n");
    for (Cue c : cues) {
      b.append(timestamp(c.start(), '.'))
          .append(" --> ")
          .append(timestamp(c.end(), '.'))
          .append('\n')
          .append(c.text())
          .append("\n\n");
    }
    return b.toString();
  }

  /** {@code HH:MM:SS<sep>mmm}, rounded to the millisecond; negative times count as 0. */
  static String timestamp(double seconds, char sep) {
    long ms = Math.max(0, Math.round(seconds * 1000));
    return String.format(
        Locale.ROOT,
        "%02d:%02d:%02d%c%03d",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        sep,
        ms % 1000);
  }

  /**
   * Plain text: the words joined by spaces on one line. With {@code marks}, one line per turn, each
   * finished turn followed by {@code [end of turn at S s]}, S being its last word's end.
   */
  static String text(List<Word> words, List<TurnEnd> turns, boolean marks) {
    if (words.isEmpty()) {
      return "";
    }
    boolean[] breakBefore =
        marks ? turnBreaks(words.size() + 1, turns) : new boolean[words.size() + 1];
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < words.size(); i++) {
      if (i > 0 && !breakBefore[i]) {
        b.append(' ');
      }
      b.append(words.get(i).getText());
      if (breakBefore[i + 1]) {
        b.append(String.format(Locale.ROOT, "\n[end of turn at %.1f s]\n", endOf(words.get(i))));
      }
    }
    if (!breakBefore[words.size()]) {
      b.append("\n");
    }
    return b.toString();
  }

  /**
   * One JSON object: the session, the text, every word with start and end in seconds (rounded to
   * the millisecond) and, with {@code withTurns}, every end of turn with the number of words before
   * it and its time (the end of the last of them; null before any word), and the pause
   * probabilities received when {@code pauses} is not null.
   */
  static String json(
      TranscriptionInfo session,
      Double audioSeconds,
      String text,
      List<Word> words,
      List<TurnEnd> turns,
      boolean withTurns,
      List<PauseProbabilities> pauses) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("session_id", session == null ? null : session.getSessionId());
    r.put("model", session == null ? null : session.getModel());
    r.put("delay_s", session == null ? null : ms(session.getDelayS()));
    r.put("audio_s", audioSeconds == null ? null : ms(audioSeconds));
    r.put("text", text);
    List<Map<String, Object>> ws = new ArrayList<>();
    for (Word w : words) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("index", w.getIndex());
      m.put("text", w.getText());
      m.put("start_s", ms(w.getStartS()));
      m.put("end_s", ms(endOf(w)));
      ws.add(m);
    }
    r.put("words", ws);
    if (withTurns) {
      List<Map<String, Object>> ts = new ArrayList<>();
      for (TurnEnd t : turns) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("words_before", t.wordsBefore());
        m.put(
            "time_s",
            t.wordsBefore() > 0 && t.wordsBefore() <= words.size()
                ? ms(endOf(words.get(t.wordsBefore() - 1)))
                : null);
        m.put("step", t.step());
        m.put("probability", shortest(t.probability()));
        ts.add(m);
      }
      r.put("end_of_turns", ts);
    }
    if (pauses != null) {
      List<Map<String, Object>> ps = new ArrayList<>();
      for (PauseProbabilities p : pauses) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", p.getStep());
        m.put(
            "probabilities",
            p.getProbabilitiesList().stream().map(TranscriptFormats::shortest).toList());
        ps.add(m);
      }
      r.put("pauses", ps);
    }
    try {
      return new ObjectMapper().writeValueAsString(r) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static double endOf(Word w) {
    return Math.max(w.getStartS(), w.getEndS());
  }

  /** A float as the double with its shortest decimal form (0.9f as 0.9, not 0.8999999761581421). */
  private static double shortest(float f) {
    return Double.parseDouble(Float.toString(f));
  }

  private static double ms(double seconds) {
    return Math.round(seconds * 1000) / 1000.0;
  }

  /**
   * breakBefore[i]: a turn ended after word i - 1 and before word i. Turns before any word, or
   * repeated without words between them, add nothing.
   */
  private static boolean[] turnBreaks(int n, List<TurnEnd> turns) {
    boolean[] b = new boolean[Math.max(n, 0) + 1];
    for (TurnEnd t : turns) {
      if (t.wordsBefore() > 0 && t.wordsBefore() < b.length) {
        b[t.wordsBefore()] = true;
      }
    }
    return b;
  }
}
