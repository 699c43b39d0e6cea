package dev.parley.server.tts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.testing.Golden;
import dev.parley.server.text.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Text cut into arbitrary pieces (as an LLM streams it) gives exactly the entries of the whole text
 * through {@link Script#toEntries}, which reproduces the reference's {@code script_to_entries} on
 * the golden script: words are never split or merged, break tags never cut.
 */
class TextFeedTest {
  static TextTokenizer tokenizer;

  @BeforeAll
  static void load() throws Exception {
    tokenizer = TextTokenizer.load(Golden.path("tokenizer_tiny.model"));
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  static List<Entry> streamed(String text, List<Integer> cuts) {
    TextFeed feed = new TextFeed(new Script.Builder(tokenizer, true, 1, 12.5));
    List<Entry> out = new ArrayList<>();
    int from = 0;
    for (int cut : cuts) {
      out.addAll(feed.push(text.substring(from, cut)));
      from = cut;
    }
    out.addAll(feed.push(text.substring(from)));
    out.addAll(feed.finish());
    return out;
  }

  @Test
  void anyCutOfTheTextGivesTheEntriesOfTheWholeText() throws Exception {
    String golden =
        new ObjectMapper()
            .readTree(Golden.path("tts_tiny.gen.json").toFile())
            .get("script")
            .get(0)
            .asText();
    List<String> texts =
        List.of(
            golden,
            "Hello <break time=\"1.5s\"/> robot:  it's (quite) late\u2019s   now ",
            "a<break time=\"0.25s\"/>b   c\td\ne",
            "  leading and trailing  ",
            "one");
    SplittableRandom r = new SplittableRandom(5);
    for (String text : texts) {
      List<Entry> whole = Script.toEntries(tokenizer, List.of(text), true, 1, 12.5);
      assertThat(streamed(text, List.of())).isEqualTo(whole);
      for (int trial = 0; trial < 200; trial++) {
        List<Integer> cuts = new ArrayList<>();
        int at = 0;
        while (true) {
          at += 1 + r.nextInt(6);
          if (at >= text.length()) {
            break;
          }
          cuts.add(at);
        }
        assertThat(streamed(text, cuts)).as("%s cut at %s", text, cuts).isEqualTo(whole);
      }
    }
  }

  @Test
  void aWordIsHeldUntilWhitespaceShowsItIsWhole() {
    TextFeed feed = new TextFeed(new Script.Builder(tokenizer, false, 0, 12.5));
    assertThat(feed.push("Hel")).isEmpty();
    assertThat(feed.push("lo wor")).extracting(Entry::text).containsExactly("Hello");
    assertThat(feed.push("ld <break ")).extracting(Entry::text).containsExactly("world");
    assertThat(feed.push("time=\"1s\"/>"))
        .singleElement()
        .matches(Entry::isBreak)
        .extracting(Entry::padding)
        .isEqualTo(12);
    assertThat(feed.push(" ")).isEmpty();
    assertThat(feed.finish()).isEmpty();
    assertThat(feed.characters()).isEqualTo(3 + 6 + 10 + 11 + 1);
  }
}
