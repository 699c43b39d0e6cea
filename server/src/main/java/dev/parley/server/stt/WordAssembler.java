package dev.parley.server.stt;

import dev.parley.server.text.TextTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a Kyutai STT model's text tokens into timestamped words by the rules of the reference's
 * {@code tokens_to_timestamped_text} (delayed-streams-modeling {@code stt_from_file_pytorch.py}),
 * both offline ({@link #transcribe}) and one token at a time ({@link #push}), so that words can be
 * shown before the transcript is complete.
 *
 * <p>The rules: the end-of-padding id 0 marks word boundaries, and the tokens strictly between two
 * 0s form a segment; tokens before the first 0 belong to no word. A segment spanning token
 * positions {@code [s, e)} gets the times {@code max(0, s/frameRate − offset)} and {@code max(0,
 * e/frameRate − offset)}. Ids up to the padding id 3 (end-of-padding, BOS, EOS, padding) are
 * dropped before decoding. A segment that decodes to several words is split: each word but the last
 * gets as many frames as the tokenizer gives it tokens, the last takes the rest. The last segment
 * (no 0 after it) ends at its first EOS; without an EOS it ends at the end of the tokens, or one
 * second after its start when it is longer than that. (The reference raises an error in that last
 * case — it slices with a float — so the one-second bound, rounded up to whole frames, is this
 * class's own choice.)
 *
 * <p>Streaming: {@link #push} returns {@link WordStart} as soon as a word's text is known, that is
 * at the first non-text token after its tokens (padding, end-of-padding or EOS), with the start
 * time the offline rule gives it, and {@link WordEnd} once its end is known (the next 0, the next
 * word of the same segment, or {@link #finish}). When a segment's tokens are contiguous — the
 * normal case — the events carry exactly the offline words; if text tokens continue after a padding
 * token in the same segment, words already announced are not taken back, but {@link #words()}
 * (complete segments only) always equals the offline result. Not thread-safe.
 */
public final class WordAssembler {
  /** Word boundary (the reference's {@code end_of_padding_id}). */
  public static final int END_OF_PADDING_ID = TextTokenizer.END_OF_PADDING_ID;

  /** Padding, and the largest id that is never text (the reference's {@code padding_token_id}). */
  public static final int PADDING_ID = TextTokenizer.PADDING_ID;

  /** What {@link #push} and {@link #finish} report. */
  public sealed interface Event permits WordStart, WordEnd {}

  /**
   * A word whose text is known.
   *
   * @param index 0-based position of the word in the transcript
   */
  public record WordStart(int index, String text, double startSeconds) implements Event {}

  /** The end of the word {@code index} (announced before by a {@link WordStart}). */
  public record WordEnd(int index, double stopSeconds) implements Event {}

  private final TextTokenizer tokenizer;
  private final double frameRate;
  private final double offsetSeconds;
  private final int eosId;
  private final List<SttWord> words = new ArrayList<>();
  // The open segment: tokens since the last 0 (none before the first 0).
  private boolean inSegment;
  private long segmentStart;
  private final List<Long> segment = new ArrayList<>();
  private boolean contentSinceAnnounce;
  private int announced; // words of the open segment that got a WordStart
  private int ended; // words of the open segment that got a WordEnd
  private long position;
  private boolean finished;

  /**
   * @param frameRate text tokens per second (12.5)
   * @param offsetSeconds subtracted from every time: the silence fed before the audio plus the
   *     model's text delay (see {@link #referenceOffsetSeconds})
   */
  public WordAssembler(TextTokenizer tokenizer, double frameRate, double offsetSeconds) {
    if (!(frameRate > 0) || !Double.isFinite(offsetSeconds)) {
      throw new IllegalArgumentException("frame rate must be positive and the offset finite");
    }
    this.tokenizer = tokenizer;
    this.frameRate = frameRate;
    this.offsetSeconds = offsetSeconds;
    this.eosId = tokenizer.eosId();
  }

  /**
   * The offset the reference driver subtracts: {@code int(prefixFrames / frameRate) +
   * audioDelaySeconds} (whole seconds of the silence prefix, as {@code stt_from_file_pytorch.py}
   * computes it, so a 13-frame prefix of 1.04 s counts as 1 s).
   */
  public static double referenceOffsetSeconds(
      int prefixFrames, double frameRate, double audioDelaySeconds) {
    return (int) (prefixFrames / frameRate) + audioDelaySeconds;
  }

  /** The reference's {@code tokens_to_timestamped_text} over a whole token sequence. */
  public static List<SttWord> transcribe(
      long[] tokens, TextTokenizer tokenizer, double frameRate, double offsetSeconds) {
    WordAssembler a = new WordAssembler(tokenizer, frameRate, offsetSeconds);
    List<Integer> boundaries = new ArrayList<>();
    for (int i = 0; i < tokens.length; i++) {
      if (tokens[i] == END_OF_PADDING_ID) {
        boundaries.add(i);
      }
    }
    List<SttWord> out = new ArrayList<>();
    if (boundaries.isEmpty()) {
      return out;
    }
    for (int i = 0; i + 1 < boundaries.size(); i++) {
      int start = boundaries.get(i) + 1;
      int end = boundaries.get(i + 1);
      out.addAll(a.decodeSegment(slice(tokens, start, end), start, end));
    }
    int start = boundaries.get(boundaries.size() - 1) + 1;
    int end = a.lastSegmentEnd(slice(tokens, start, tokens.length), start, tokens.length);
    out.addAll(a.decodeSegment(slice(tokens, start, end), start, end));
    return out;
  }

  private static List<Long> slice(long[] tokens, int from, int to) {
    List<Long> l = new ArrayList<>(Math.max(0, to - from));
    for (int i = from; i < to; i++) {
      l.add(tokens[i]);
    }
    return l;
  }

  /**
   * Takes the next text token. Returns the events it completes (often none); a word's {@link
   * WordStart} always comes before its {@link WordEnd}.
   */
  public List<Event> push(long token) {
    if (finished) {
      throw new IllegalStateException("finish() was called");
    }
    List<Event> events = new ArrayList<>(2);
    long pos = position++;
    if (token == END_OF_PADDING_ID) {
      if (inSegment) {
        closeSegment(pos, events);
      }
      inSegment = true;
      segmentStart = pos + 1;
      segment.clear();
      announced = 0;
      ended = 0;
      contentSinceAnnounce = false;
      return events;
    }
    if (!inSegment) {
      return events;
    }
    segment.add(token);
    if (token > PADDING_ID) {
      contentSinceAnnounce = true;
    } else if (contentSinceAnnounce) {
      contentSinceAnnounce = false;
      announce(decodeSegment(segment, segmentStart, pos + 1), events, /* closing= */ false);
    }
    return events;
  }

  /** End of the tokens: the last segment is closed by the last-segment rule. Call once. */
  public List<Event> finish() {
    if (finished) {
      throw new IllegalStateException("finish() was called");
    }
    finished = true;
    List<Event> events = new ArrayList<>(2);
    if (inSegment) {
      int end = lastSegmentEnd(segment, segmentStart, position);
      closeSegmentAt(segment.subList(0, (int) (end - segmentStart)), end, events);
    }
    return events;
  }

  /** The words of every closed segment (after {@link #finish}: the whole transcript). */
  public List<SttWord> words() {
    return List.copyOf(words);
  }

  /** Text tokens taken so far. */
  public long tokens() {
    return position;
  }

  private void closeSegment(long end, List<Event> events) {
    closeSegmentAt(segment, end, events);
  }

  private void closeSegmentAt(List<Long> tokens, long end, List<Event> events) {
    List<SttWord> fin = decodeSegment(tokens, segmentStart, end);
    announce(fin, events, /* closing= */ true);
    // Words announced from a partial decode that the final decode no longer has end with the
    // segment.
    for (int i = ended; i < announced; i++) {
      events.add(new WordEnd(words.size() + i, time(end)));
    }
    ended = announced;
    words.addAll(fin);
  }

  /** Announces new words; every word but the last has a known end (the next one's start). */
  private void announce(List<SttWord> current, List<Event> events, boolean closing) {
    int base = words.size();
    for (int i = announced; i < current.size(); i++) {
      events.add(new WordStart(base + i, current.get(i).text(), current.get(i).startSeconds()));
    }
    announced = Math.max(announced, current.size());
    int known = closing ? current.size() : current.size() - 1;
    for (int i = ended; i < known; i++) {
      events.add(new WordEnd(base + i, current.get(i).endSeconds()));
    }
    ended = Math.max(ended, known);
  }

  /**
   * Where the last segment ends: its first EOS, else the end, but at most one second (rounded up)
   * long.
   */
  private int lastSegmentEnd(List<Long> tokens, long start, long length) {
    for (int i = 0; i < tokens.size(); i++) {
      if (tokens.get(i) == eosId) {
        return (int) (start + i);
      }
    }
    return (int) Math.min(length, start + (long) Math.ceil(frameRate));
  }

  /** The words of the segment {@code [start, end)} with their times. */
  private List<SttWord> decodeSegment(List<Long> tokens, long start, long end) {
    String text = decode(tokens);
    List<String> parts = splitWhitespace(text);
    List<SttWord> out = new ArrayList<>(parts.size());
    if (parts.isEmpty()) {
      return out;
    }
    if (parts.size() == 1) {
      out.add(new SttWord(text, time(start), time(end)));
      return out;
    }
    long s = start;
    for (int i = 0; i < parts.size() - 1; i++) {
      long n = tokenizer.encode(parts.get(i)).length;
      out.add(new SttWord(parts.get(i), time(s), time(s + n)));
      s += n;
    }
    out.add(new SttWord(parts.get(parts.size() - 1), time(s), time(end)));
    return out;
  }

  private String decode(List<Long> tokens) {
    int n = 0;
    int[] ids = new int[tokens.size()];
    for (long t : tokens) {
      // Ids past the vocabulary (a model whose text_card exceeds it) cannot be decoded: dropped.
      if (t > PADDING_ID && t < tokenizer.vocabSize()) {
        ids[n++] = (int) t;
      }
    }
    return n == 0 ? "" : tokenizer.decode(java.util.Arrays.copyOf(ids, n));
  }

  /** Python's {@code str.split()}: runs of whitespace separate, none at the ends. */
  static List<String> splitWhitespace(String text) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < text.length()) {
      while (i < text.length() && isSpace(text.charAt(i))) {
        i++;
      }
      int j = i;
      while (j < text.length() && !isSpace(text.charAt(j))) {
        j++;
      }
      if (j > i) {
        out.add(text.substring(i, j));
      }
      i = j;
    }
    return out;
  }

  private static boolean isSpace(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c);
  }

  private double time(long position) {
    return Math.max(0, position / frameRate - offsetSeconds);
  }
}
