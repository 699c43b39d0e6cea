package dev.parley.server.stt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.testing.Golden;
import dev.parley.server.text.TextTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Word assembly against the reference's {@code tokens_to_timestamped_text} outputs recorded in
 * {@code stt_tiny.words.json}, and the streaming form against the offline one.
 */
class WordAssemblerTest {
  static TextTokenizer tokenizer;
  static JsonNode golden;

  @BeforeAll
  static void load() throws IOException {
    tokenizer = TextTokenizer.load(Golden.path("tokenizer_tiny.model"));
    golden = new ObjectMapper().readTree(Golden.path("stt_tiny.words.json").toFile());
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  static long[] tokens(JsonNode array) {
    long[] t = new long[array.size()];
    for (int i = 0; i < t.length; i++) {
      t[i] = array.get(i).asLong();
    }
    return t;
  }

  static void assertWords(String what, List<SttWord> actual, JsonNode expected) {
    assertThat(actual).as(what + ": " + actual).hasSize(expected.size());
    for (int i = 0; i < expected.size(); i++) {
      JsonNode w = expected.get(i);
      assertThat(actual.get(i).text()).as(what + " word " + i).isEqualTo(w.get("text").asText());
      assertThat(actual.get(i).startSeconds())
          .as(what + " start " + i)
          .isCloseTo(w.get("start").asDouble(), within(1e-6));
      assertThat(actual.get(i).endSeconds())
          .as(what + " end " + i)
          .isCloseTo(w.get("end").asDouble(), within(1e-6));
    }
  }

  @Test
  void theReferenceOffsetRule() {
    assertThat(
            WordAssembler.referenceOffsetSeconds(
                golden.get("n_prefix_chunks").asInt(),
                12.5,
                golden.get("stt_config").get("audio_delay_seconds").asDouble()))
        .isEqualTo(golden.get("offset_seconds").asDouble());
    assertThat(WordAssembler.referenceOffsetSeconds(0, 12.5, 0.5)).isEqualTo(0.5); // stt-1b-en_fr
  }

  @Test
  void everyForcedCaseOfTheReferenceIsReproducedOfflineAndStreaming() {
    int checked = 0;
    for (JsonNode c : golden.get("forced_cases")) {
      if (c.get("words").isNull()) {
        continue; // the reference raised: see aLongTailWithoutEosEndsOneSecondAfterItsStart
      }
      String name = c.get("name").asText();
      long[] t = tokens(c.get("text_tokens"));
      double offset = c.get("offset_seconds").asDouble();
      double rate = c.get("frame_rate").asDouble();
      assertWords(
          name + " offline", WordAssembler.transcribe(t, tokenizer, rate, offset), c.get("words"));
      WordAssembler a = new WordAssembler(tokenizer, rate, offset);
      List<WordAssembler.Event> events = new ArrayList<>();
      for (long token : t) {
        events.addAll(a.push(token));
      }
      events.addAll(a.finish());
      assertWords(name + " streaming words()", a.words(), c.get("words"));
      assertWords(name + " streaming events", fromEvents(events), c.get("words"));
      checked++;
    }
    assertThat(checked).isEqualTo(5);
  }

  @Test
  void theModelRunOfTheGoldenFileHasNoWords() {
    assertThat(golden.get("words")).isEmpty();
    assertThat(
            WordAssembler.transcribe(
                tokens(golden.get("text_tokens")),
                tokenizer,
                12.5,
                golden.get("offset_seconds").asDouble()))
        .isEmpty();
  }

  /**
   * The reference raises here; this implementation bounds the segment to 13 frames (1 s rounded
   * up).
   */
  @Test
  void aLongTailWithoutEosEndsOneSecondAfterItsStart() {
    JsonNode c = null;
    for (JsonNode x : golden.get("forced_cases")) {
      if (x.get("name").asText().equals("no_eos_long_tail")) {
        c = x;
      }
    }
    assertThat(c.get("reference_raises").asText()).contains("TypeError");
    long[] t = tokens(c.get("text_tokens"));
    int lastZero = -1;
    for (int i = 0; i < t.length; i++) {
      if (t[i] == 0) {
        lastZero = i;
      }
    }
    int start = lastZero + 1;
    int end = start + 13;
    assertThat(t.length).isGreaterThan(end);
    List<Integer> ids = new ArrayList<>();
    for (int i = start; i < end; i++) {
      if (t[i] > 3) {
        ids.add((int) t[i]);
      }
    }
    String text = tokenizer.decode(ids.stream().mapToInt(Integer::intValue).toArray());
    List<SttWord> words = WordAssembler.transcribe(t, tokenizer, 12.5, 3.5);
    assertThat(words).hasSize(1);
    assertThat(words.get(0).text()).isEqualTo(text);
    assertThat(words.get(0).startSeconds()).isCloseTo(start / 12.5 - 3.5, within(1e-9));
    assertThat(words.get(0).endSeconds()).isCloseTo(end / 12.5 - 3.5, within(1e-9));
  }

  @Test
  void aWordIsAnnouncedAtTheFirstPaddingAfterItsTokensNotAtTheNextBoundary() {
    // boundaries_and_eos: ... 0 (47), "▁" "t" "h" "e" (48-51), pad (52), pad, 0 (54), ...
    long[] t = tokens(golden.get("forced_cases").get(1).get("text_tokens"));
    assertThat(t[47]).isZero();
    assertThat(t[52]).isEqualTo(3);
    WordAssembler a = new WordAssembler(tokenizer, 12.5, 3.5);
    for (int i = 0; i < 52; i++) {
      assertThat(a.push(t[i])).as("token %d", i).isEmpty();
    }
    List<WordAssembler.Event> at52 = a.push(t[52]);
    assertThat(at52).hasSize(1);
    WordAssembler.WordStart w = (WordAssembler.WordStart) at52.get(0);
    assertThat(w.index()).isZero();
    assertThat(w.text()).isEqualTo("the");
    assertThat(w.startSeconds()).isCloseTo(48 / 12.5 - 3.5, within(1e-9));
    assertThat(a.push(t[53])).isEmpty();
    assertThat(a.push(t[54])).containsExactly(new WordAssembler.WordEnd(0, 54 / 12.5 - 3.5));
  }

  @Test
  void streamingEqualsOfflineOnRandomTokenStreams() {
    SplittableRandom r = new SplittableRandom(7);
    int words = 0;
    for (int trial = 0; trial < 300; trial++) {
      boolean contiguous = trial % 2 == 0;
      long[] t = randomStream(r, 20 + r.nextInt(120), contiguous);
      List<SttWord> offline = WordAssembler.transcribe(t, tokenizer, 12.5, 1.5);
      WordAssembler a = new WordAssembler(tokenizer, 12.5, 1.5);
      List<WordAssembler.Event> events = new ArrayList<>();
      for (long token : t) {
        events.addAll(a.push(token));
      }
      events.addAll(a.finish());
      assertThat(a.words()).as("trial %d", trial).isEqualTo(offline);
      assertEventsWellFormed(events);
      if (contiguous) {
        assertThat(fromEvents(events)).as("events of trial %d", trial).isEqualTo(offline);
      }
      words += offline.size();
    }
    assertThat(words).as("the random streams exercised words").isGreaterThan(300);
  }

  /** Every WordStart index once and in order, every WordEnd after its start, once. */
  static void assertEventsWellFormed(List<WordAssembler.Event> events) {
    int starts = 0;
    int ends = 0;
    for (WordAssembler.Event e : events) {
      if (e instanceof WordAssembler.WordStart s) {
        assertThat(s.index()).isEqualTo(starts++);
      } else if (e instanceof WordAssembler.WordEnd end) {
        assertThat(end.index()).isEqualTo(ends++).isLessThan(starts);
      }
    }
    assertThat(ends).isEqualTo(starts);
  }

  /** Padding runs, boundaries, words of 1-4 text tokens, an occasional EOS. */
  static long[] randomStream(SplittableRandom r, int length, boolean contiguous) {
    long[] t = new long[length];
    int i = 0;
    while (i < length) {
      int kind = r.nextInt(10);
      if (kind < 4) {
        t[i++] = 3;
      } else if (kind < 6) {
        t[i++] = 0;
      } else if (kind == 6 && r.nextInt(4) == 0) {
        t[i++] = 2;
      } else {
        int n = 1 + r.nextInt(4);
        for (int k = 0; k < n && i < length; k++) {
          t[i++] = 4 + r.nextInt(60);
        }
        if (contiguous && i < length) {
          t[i++] = r.nextBoolean() ? 3 : 0;
        }
      }
    }
    if (contiguous) {
      // A word cut off by the end of the stream, or one run into the next by a missing padding, is
      // fine;
      // text resumed after padding within one segment is the non-contiguous case.
      int lastZero = -1;
      boolean padSeen = false;
      for (int k = 0; k < length; k++) {
        if (t[k] == 0) {
          lastZero = k;
          padSeen = false;
        } else if (t[k] <= 3) {
          padSeen = lastZero >= 0;
        } else if (padSeen) {
          t[k] = 3;
        }
      }
    }
    return t;
  }

  /** The words the streaming events describe. */
  static List<SttWord> fromEvents(List<WordAssembler.Event> events) {
    List<String> text = new ArrayList<>();
    List<Double> start = new ArrayList<>();
    List<Double> end = new ArrayList<>();
    for (WordAssembler.Event e : events) {
      if (e instanceof WordAssembler.WordStart s) {
        text.add(s.text());
        start.add(s.startSeconds());
        end.add(Double.NaN);
      } else if (e instanceof WordAssembler.WordEnd w) {
        end.set(w.index(), w.stopSeconds());
      }
    }
    List<SttWord> out = new ArrayList<>();
    for (int i = 0; i < text.size(); i++) {
      out.add(new SttWord(text.get(i), start.get(i), end.get(i)));
    }
    return out;
  }
}
