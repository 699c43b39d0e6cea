package dev.parley.server.openai;

import dev.parley.server.inference.TranscriptFormats.Cue;
import dev.parley.server.stt.SttWord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A finished transcript in OpenAI's {@code response_format}s. Segments (for {@code srt}, {@code
 * vtt} and {@code verbose_json}) are runs of words cut at pauses of {@link #SEGMENT_PAUSE_SECONDS}
 * or after {@link #SEGMENT_MAX_WORDS} words; the STT model gives no log-probabilities, so a
 * segment's {@code avg_logprob}, {@code compression_ratio} and {@code no_speech_prob} are 0.
 */
final class TranscriptFormats {
  static final double SEGMENT_PAUSE_SECONDS = 1.0;
  static final int SEGMENT_MAX_WORDS = 16;

  private TranscriptFormats() {}

  record Segment(double start, double end, String text) {}

  static String text(List<SttWord> words) {
    return String.join(" ", words.stream().map(SttWord::text).toList());
  }

  static List<Segment> segments(List<SttWord> words) {
    List<Segment> out = new ArrayList<>();
    List<SttWord> run = new ArrayList<>();
    for (SttWord w : words) {
      if (!run.isEmpty()
          && (w.startSeconds() - run.get(run.size() - 1).endSeconds() >= SEGMENT_PAUSE_SECONDS
              || run.size() >= SEGMENT_MAX_WORDS)) {
        out.add(segment(run));
        run.clear();
      }
      run.add(w);
    }
    if (!run.isEmpty()) {
      out.add(segment(run));
    }
    return out;
  }

  private static Segment segment(List<SttWord> run) {
    return new Segment(run.get(0).startSeconds(), run.get(run.size() - 1).endSeconds(), text(run));
  }

  static Map<String, Object> json(List<SttWord> words) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("text", text(words));
    return m;
  }

  static Map<String, Object> verbose(
      List<SttWord> words,
      double durationSeconds,
      String language,
      boolean withWords,
      boolean withSegments) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("task", "transcribe");
    m.put("language", language);
    m.put("duration", toMs(durationSeconds));
    m.put("text", text(words));
    if (withSegments) {
      List<Map<String, Object>> segs = new ArrayList<>();
      List<Segment> all = segments(words);
      for (int i = 0; i < all.size(); i++) {
        Segment s = all.get(i);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("id", i);
        o.put("seek", 0);
        o.put("start", toMs(s.start()));
        o.put("end", toMs(s.end()));
        o.put("text", s.text());
        o.put("tokens", List.of());
        o.put("temperature", 0.0);
        o.put("avg_logprob", 0.0);
        o.put("compression_ratio", 0.0);
        o.put("no_speech_prob", 0.0);
        segs.add(o);
      }
      m.put("segments", segs);
    }
    if (withWords) {
      m.put(
          "words",
          words.stream()
              .map(
                  w -> {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("word", w.text());
                    o.put("start", toMs(w.startSeconds()));
                    o.put("end", toMs(w.endSeconds()));
                    return o;
                  })
              .toList());
    }
    return m;
  }

  static String srt(List<SttWord> words) {
    return dev.parley.server.inference.TranscriptFormats.srt(cues(words));
  }

  static String vtt(List<SttWord> words) {
    return dev.parley.server.inference.TranscriptFormats.vtt(cues(words));
  }

  private static List<Cue> cues(List<SttWord> words) {
    return segments(words).stream().map(s -> new Cue(s.start(), s.end(), s.text())).toList();
  }

  /** Seconds rounded to the millisecond, as Parley's own JSON gives them: 0.42, not 0.419999…. */
  static double toMs(double seconds) {
    return Math.round(seconds * 1000) / 1000.0;
  }
}
