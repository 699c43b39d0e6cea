package dev.parley.server.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.server.inference.TranscriptFormats.Cue;
import dev.parley.server.inference.TranscriptFormats.Format;
import dev.parley.server.stt.SttSettings;
import dev.parley.server.stt.SttWord;
import dev.parley.server.stt.WordAssembler;
import dev.parley.server.text.TextTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

class TranscriptFormatsTest {
  static final List<SttWord> WORDS =
      List.of(
          new SttWord("Hello", 0.08, 0.4),
          new SttWord("world.", 0.4, 0.88),
          new SttWord("Again", 3661.5, 3662.0004));

  static OfflineTranscription.Result result(List<SttWord> words, long[] tokens) {
    return new OfflineTranscription.Result(
        "m", SttSettings.of(1.0, 2.5, 12.5), 2.0, tokens, List.of(), words, tokens.length, 0.5);
  }

  @Test
  void textIsTheWordsOnOneLine() {
    assertThat(TranscriptFormats.text(WORDS)).isEqualTo("Hello world. Again\n");
    assertThat(TranscriptFormats.text(List.of())).isEmpty();
  }

  @Test
  void subtitlesHaveNumberedTimedCues() {
    List<Cue> cues = TranscriptFormats.cues(WORDS);
    assertThat(cues)
        .containsExactly(new Cue(0.08, 0.88, "Hello world."), new Cue(3661.5, 3662.0004, "Again"));
    assertThat(TranscriptFormats.srt(cues))
        .isEqualTo(
            "1\n00:00:00,080 --> 00:00:00,880\nHello world.\n\n"
                + "2\n01:01:01,500 --> 01:01:02,000\nAgain\n\n");
    assertThat(TranscriptFormats.vtt(cues))
        .isEqualTo(
            "WEBVTT\n\n00:00:00.080 --> 00:00:00.880\nHello world.\n\n"
                + "01:01:01.500 --> 01:01:02.000\nAgain\n\n");
    assertThat(TranscriptFormats.srt(List.of())).isEmpty();
    assertThat(TranscriptFormats.vtt(List.of())).isEqualTo("WEBVTT\n\n");
  }

  @Test
  void cuesBreakOnLengthAndDuration() {
    List<SttWord> many = new java.util.ArrayList<>();
    for (int i = 0; i < 12; i++) {
      many.add(new SttWord("word" + i, i * 0.5, i * 0.5 + 0.4));
    }
    List<Cue> cues = TranscriptFormats.cues(many);
    for (Cue c : cues) {
      assertThat(c.text().length()).isLessThanOrEqualTo(TranscriptFormats.MAX_CUE_CHARS);
      assertThat(c.end() - c.start()).isLessThanOrEqualTo(TranscriptFormats.MAX_CUE_SECONDS);
    }
    assertThat(String.join(" ", cues.stream().map(Cue::text).toList()))
        .isEqualTo(TranscriptFormats.joined(many));
    assertThat(TranscriptFormats.cues(many, 1.0, 100)).hasSize(6); // two words a second
  }

  @Test
  void jsonHasTheTranscriptWordsAndOptionallyTokens() throws Exception {
    JsonNode j =
        new ObjectMapper()
            .readTree(TranscriptFormats.json(result(WORDS, new long[] {0, 5, 3}), true));
    assertThat(j.get("model").asText()).isEqualTo("m");
    assertThat(j.get("delay_s").asDouble()).isEqualTo(2.5);
    assertThat(j.get("audio_s").asDouble()).isEqualTo(2.0);
    assertThat(j.get("text").asText()).isEqualTo("Hello world. Again");
    assertThat(j.get("words")).hasSize(3);
    assertThat(j.get("words").get(1).get("index").asInt()).isEqualTo(1);
    assertThat(j.get("words").get(1).get("text").asText()).isEqualTo("world.");
    assertThat(j.get("words").get(1).get("start_s").asDouble()).isEqualTo(0.4);
    assertThat(j.get("words").get(2).get("end_s").asDouble()).isEqualTo(3662.0);
    assertThat(j.get("steps").asInt()).isEqualTo(3);
    assertThat(j.get("text_tokens").toString()).isEqualTo("[0,5,3]");
    assertThat(
            new ObjectMapper()
                .readTree(TranscriptFormats.json(result(WORDS, new long[] {0}), false))
                .has("text_tokens"))
        .isFalse();
  }

  @Test
  void wordsForcedThroughTheWordAssemblerRenderInEveryFormat() throws Exception {
    try (TextTokenizer tok =
        TextTokenizer.fromBytes(
            java.nio.file.Files.readAllBytes(
                dev.parley.codec.testing.Golden.path("tokenizer_tiny.model")))) {
      int[] hello = tok.encode("hello there");
      long[] tokens = new long[51 + hello.length + 20];
      java.util.Arrays.fill(tokens, 3);
      tokens[50] = 0; // a word boundary at 4 s (step 50), 3.5 s offset: the words start at 0.58 s
      for (int i = 0; i < hello.length; i++) {
        tokens[51 + i] = hello[i];
      }
      tokens[51 + hello.length + 2] = 0;
      List<SttWord> words = WordAssembler.transcribe(tokens, tok, 12.5, 3.5);
      assertThat(TranscriptFormats.joined(words)).isEqualTo("hello there");
      OfflineTranscription.Result r = result(words, tokens);
      assertThat(TranscriptFormats.render(Format.TEXT, r, false)).isEqualTo("hello there\n");
      assertThat(TranscriptFormats.render(Format.SRT, r, false))
          .startsWith("1\n00:00:00,580 --> ")
          .contains("\nhello there\n\n");
      assertThat(TranscriptFormats.render(Format.VTT, r, false))
          .startsWith("WEBVTT\n\n00:00:00.580 --> ");
      JsonNode j = new ObjectMapper().readTree(TranscriptFormats.render(Format.JSON, r, false));
      assertThat(j.get("words").get(0).get("text").asText()).isEqualTo("hello");
      assertThat(j.get("words").get(0).get("start_s").asDouble()).isEqualTo(0.58);
      assertThat(j.get("words").get(1).get("end_s").asDouble())
          .isGreaterThan(j.get("words").get(1).get("start_s").asDouble());
    }
  }

  @Test
  void formatsParseAndFollowTheExtension() {
    assertThat(Format.parse("JSON")).isEqualTo(Format.JSON);
    assertThat(Format.parse("txt")).isEqualTo(Format.TEXT);
    assertThat(Format.ofFileName("a.SRT")).isEqualTo(Format.SRT);
    assertThat(Format.ofFileName("a.vtt")).isEqualTo(Format.VTT);
    assertThat(Format.ofFileName("a.json")).isEqualTo(Format.JSON);
    assertThat(Format.ofFileName("a.txt")).isEqualTo(Format.TEXT);
    assertThatThrownBy(() -> Format.parse("docx")).hasMessageContaining("text, json, srt or vtt");
  }
}
