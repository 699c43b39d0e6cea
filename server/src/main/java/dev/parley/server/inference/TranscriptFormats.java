package dev.parley.server.inference;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.server.stt.SttWord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The documents {@code infer} writes for a transcription model: plain text, JSON, SubRip (SRT) and
 * WebVTT. Pure functions of the words (the same cue rules and JSON keys as the SDK's {@code parley
 * transcribe}).
 */
public final class TranscriptFormats {
  /** Longest a subtitle cue may last, from its first word's start to its last word's end. */
  public static final double MAX_CUE_SECONDS = 7.0;

  /** Longest a subtitle cue's text may be (one comfortable subtitle line). */
  public static final int MAX_CUE_CHARS = 42;

  private TranscriptFormats() {}

  /** The output formats. */
  public enum Format {
    TEXT,
    JSON,
    SRT,
    VTT;

    /** {@code text|json|srt|vtt}, case-insensitive ({@code txt} for text). */
    public static Format parse(String s) {
      String n = s.strip().toLowerCase(Locale.ROOT);
      return switch (n) {
        case "text", "txt" -> TEXT;
        case "json" -> JSON;
        case "srt" -> SRT;
        case "vtt", "webvtt" -> VTT;
        default ->
            throw new IllegalArgumentException(
                "unknown transcript format '" + s + "': expected text, json, srt or vtt");
      };
    }

    /**
     * The format a file name's extension implies ({@code .json}, {@code .srt}, {@code .vtt}), else
     * text.
     */
    public static Format ofFileName(String name) {
      String n = name.toLowerCase(Locale.ROOT);
      if (n.endsWith(".json")) {
        return JSON;
      }
      if (n.endsWith(".srt")) {
        return SRT;
      }
      if (n.endsWith(".vtt")) {
        return VTT;
      }
      return TEXT;
    }
  }

  /** One subtitle: words joined by spaces, from the first's start to the last's end. */
  public record Cue(double start, double end, String text) {}

  /** The document for {@code format}. */
  public static String render(Format format, OfflineTranscription.Result r, boolean withTokens) {
    return switch (format) {
      case TEXT -> text(r.words());
      case JSON -> json(r, withTokens);
      case SRT -> srt(cues(r.words()));
      case VTT -> vtt(cues(r.words()));
    };
  }

  /** The words joined by single spaces. */
  public static String joined(List<SttWord> words) {
    StringBuilder b = new StringBuilder();
    for (SttWord w : words) {
      if (b.length() > 0) {
        b.append(' ');
      }
      b.append(w.text());
    }
    return b.toString();
  }

  /** Plain text: the words on one line (an empty transcript is an empty file). */
  public static String text(List<SttWord> words) {
    return words.isEmpty() ? "" : joined(words) + "\n";
  }

  /**
   * Splits words into cues: a new cue past {@link #MAX_CUE_CHARS} characters or {@link
   * #MAX_CUE_SECONDS}.
   */
  public static List<Cue> cues(List<SttWord> words) {
    return cues(words, MAX_CUE_SECONDS, MAX_CUE_CHARS);
  }

  public static List<Cue> cues(List<SttWord> words, double maxSeconds, int maxChars) {
    List<Cue> cues = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    double start = 0;
    double end = 0;
    for (SttWord w : words) {
      double wEnd = Math.max(w.startSeconds(), w.endSeconds());
      boolean fits =
          text.length() + 1 + w.text().length() <= maxChars && wEnd - start <= maxSeconds;
      if (text.length() > 0 && !fits) {
        cues.add(new Cue(start, end, text.toString()));
        text.setLength(0);
      }
      if (text.length() == 0) {
        start = w.startSeconds();
      } else {
        text.append(' ');
      }
      text.append(w.text());
      end = wEnd;
    }
    if (text.length() > 0) {
      cues.add(new Cue(start, end, text.toString()));
    }
    return cues;
  }

  /** SubRip: numbered cues, {@code HH:MM:SS,mmm --> HH:MM:SS,mmm}, a blank line after each. */
  public static String srt(List<Cue> cues) {
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
  public static String vtt(List<Cue> cues) {
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
  public static String timestamp(double seconds, char sep) {
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
   * One JSON object on one line: the model, its text delay, the audio's length, the text, every
   * word with its index, start and end in seconds (rounded to the millisecond), the number of model
   * steps and, with {@code withTokens}, every step's text token.
   */
  public static String json(OfflineTranscription.Result r, boolean withTokens) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("model", r.model());
    o.put("delay_s", ms(r.settings().audioDelaySeconds()));
    o.put("audio_s", ms(r.audioSeconds()));
    o.put("text", joined(r.words()));
    List<Map<String, Object>> ws = new ArrayList<>();
    for (int i = 0; i < r.words().size(); i++) {
      SttWord w = r.words().get(i);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("index", i);
      m.put("text", w.text());
      m.put("start_s", ms(w.startSeconds()));
      m.put("end_s", ms(Math.max(w.startSeconds(), w.endSeconds())));
      ws.add(m);
    }
    o.put("words", ws);
    o.put("steps", r.steps());
    if (withTokens) {
      o.put("text_tokens", r.textTokens());
    }
    try {
      return new ObjectMapper().writeValueAsString(o) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static double ms(double seconds) {
    return Math.round(seconds * 1000) / 1000.0;
  }
}
