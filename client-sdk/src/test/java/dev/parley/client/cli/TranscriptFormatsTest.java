package dev.parley.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.client.cli.TranscriptFormats.Cue;
import dev.parley.client.cli.TranscriptFormats.TurnEnd;
import dev.parley.proto.v1.PauseProbabilities;
import dev.parley.proto.v1.TranscriptionInfo;
import dev.parley.proto.v1.Word;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The transcript documents, against text worked out by hand for a fixed word list. */
class TranscriptFormatsTest {
  /**
   * Words chosen to hit every cue rule: a turn after "world.", a cue of exactly 42 characters
   * ("This sentence keeps going until it is very"), one cut at 7 s ("too long and" + "then" would
   * span 4.96..12.5), and a word past the hour.
   */
  static final List<Word> WORDS =
      words(
          "Hello",
          0.5,
          0.9,
          "world.",
          0.96,
          1.5,
          "This",
          2.4,
          2.6,
          "sentence",
          2.64,
          3.1,
          "keeps",
          3.2,
          3.5,
          "going",
          3.56,
          3.9,
          "until",
          3.96,
          4.3,
          "it",
          4.36,
          4.45,
          "is",
          4.5,
          4.6,
          "very",
          4.66,
          4.9,
          "too",
          4.96,
          5.2,
          "long",
          5.3,
          5.6,
          "and",
          9.0,
          9.3,
          "then",
          12.0,
          12.5,
          "Bye.",
          3725.25,
          3726.0);

  /** A turn before any word and a repeated one add nothing; then turns after words 2, 14 and 15. */
  static final List<TurnEnd> TURNS =
      List.of(
          new TurnEnd(0, 5, 0.6f),
          new TurnEnd(2, 40, 0.9f),
          new TurnEnd(2, 41, 0.8f),
          new TurnEnd(14, 180, 0.7f),
          new TurnEnd(15, 46600, 0.95f));

  static List<Word> words(Object... triples) {
    List<Word> w = new ArrayList<>();
    for (int i = 0; i < triples.length; i += 3) {
      w.add(
          Word.newBuilder()
              .setIndex(i / 3)
              .setText((String) triples[i])
              .setStartS((Double) triples[i + 1])
              .setEndS((Double) triples[i + 2])
              .build());
    }
    return w;
  }

  @Test
  void srtHasNumberedCuesWithCommaMillisecondsAndBreaksOnTurnsLengthAndDuration() {
    String expected =
        """
        1
        00:00:00,500 --> 00:00:01,500
        Hello world.

        2
        00:00:02,400 --> 00:00:04,900
        This sentence keeps going until it is very

        3
        00:00:04,960 --> 00:00:09,300
        too long and

        4
        00:00:12,000 --> 00:00:12,500
        then

        5
        01:02:05,250 --> 01:02:06,000
        Bye.

        """;
    assertThat(TranscriptFormats.srt(TranscriptFormats.cues(WORDS, TURNS))).isEqualTo(expected);
  }

  @Test
  void vttHasTheHeaderAndDotMilliseconds() {
    String expected =
        """
        WEBVTT

        00:00:00.500 --> 00:00:01.500
        Hello world.

        00:00:02.400 --> 00:00:04.900
        This sentence keeps going until it is very

        00:00:04.960 --> 00:00:09.300
        too long and

        00:00:12.000 --> 00:00:12.500
        then

        01:02:05.250 --> 01:02:06.000
        Bye.

        """;
    assertThat(TranscriptFormats.vtt(TranscriptFormats.cues(WORDS, TURNS))).isEqualTo(expected);
  }

  @Test
  void withoutTurnsOnlyLengthAndDurationSplit() {
    // "Hello world. This sentence keeps going" is 38 characters; "+ until" would be 44.
    List<Cue> cues = TranscriptFormats.cues(WORDS, List.of());
    assertThat(cues)
        .extracting(Cue::text)
        .containsExactly(
            "Hello world. This sentence keeps going",
            "until it is very too long and",
            "then",
            "Bye.");
    assertThat(cues.get(1).start()).isEqualTo(3.96);
    assertThat(cues.get(1).end()).isEqualTo(9.3);
  }

  @Test
  void aWordLongerThanACueGetsItsOwnAndAMissingEndFallsBackToTheStart() {
    List<Word> w = words("a", 1.0, 1.2, "x".repeat(50), 1.3, 1.9, "b", 2.0, 0.0);
    assertThat(TranscriptFormats.srt(TranscriptFormats.cues(w, List.of())))
        .isEqualTo(
            """
        1
        00:00:01,000 --> 00:00:01,200
        a

        2
        00:00:01,300 --> 00:00:01,900
        %s

        3
        00:00:02,000 --> 00:00:02,000
        b

        """
                .formatted("x".repeat(50)));
    assertThat(TranscriptFormats.srt(List.of())).isEmpty();
    assertThat(TranscriptFormats.vtt(List.of())).isEqualTo("WEBVTT\n\n");
  }

  @Test
  void timestampsRoundToTheMillisecondAndCarry() {
    assertThat(TranscriptFormats.timestamp(0.0005, ',')).isEqualTo("00:00:00,001");
    assertThat(TranscriptFormats.timestamp(59.9996, ',')).isEqualTo("00:01:00,000");
    assertThat(TranscriptFormats.timestamp(3599.9999, '.')).isEqualTo("01:00:00.000");
    assertThat(TranscriptFormats.timestamp(36000 + 61.042, '.')).isEqualTo("10:01:01.042");
    assertThat(TranscriptFormats.timestamp(-0.3, ',')).isEqualTo("00:00:00,000");
  }

  @Test
  void textIsOneLineOrOneLinePerTurnWithItsEnd() {
    assertThat(TranscriptFormats.text(WORDS, TURNS, false))
        .isEqualTo(
            "Hello world. This sentence keeps going until it is very too long and then Bye.\n");
    assertThat(TranscriptFormats.text(WORDS, TURNS, true))
        .isEqualTo(
            """
        Hello world.
        [end of turn at 1.5 s]
        This sentence keeps going until it is very too long and then
        [end of turn at 12.5 s]
        Bye.
        [end of turn at 3726.0 s]
        """);
    // Words after the last end of turn end the text without a mark.
    assertThat(TranscriptFormats.text(WORDS.subList(0, 3), TURNS, true))
        .isEqualTo(
            """
        Hello world.
        [end of turn at 1.5 s]
        This
        """);
    assertThat(TranscriptFormats.text(List.of(), TURNS, true)).isEmpty();
  }

  @Test
  void jsonCarriesTheSessionWordsTurnsAndPauses() throws Exception {
    TranscriptionInfo info =
        TranscriptionInfo.newBuilder()
            .setSessionId("s-9")
            .setModel("kyutai/stt-1b-en_fr")
            .setDelayS(0.5)
            .build();
    List<PauseProbabilities> pauses =
        List.of(
            PauseProbabilities.newBuilder()
                .setStep(10)
                .addProbabilities(0.25f)
                .addProbabilities(0.5f)
                .build());
    JsonNode j =
        new ObjectMapper()
            .readTree(
                TranscriptFormats.json(
                    info,
                    3726.5,
                    "the text",
                    WORDS.subList(0, 3),
                    TURNS.subList(0, 2),
                    true,
                    pauses));
    assertThat(j.get("session_id").asText()).isEqualTo("s-9");
    assertThat(j.get("model").asText()).isEqualTo("kyutai/stt-1b-en_fr");
    assertThat(j.get("delay_s").asDouble()).isEqualTo(0.5);
    assertThat(j.get("audio_s").asDouble()).isEqualTo(3726.5);
    assertThat(j.get("text").asText()).isEqualTo("the text");
    assertThat(j.get("words")).hasSize(3);
    assertThat(j.get("words").get(1).toString())
        .isEqualTo("{\"index\":1,\"text\":\"world.\",\"start_s\":0.96,\"end_s\":1.5}");
    assertThat(j.get("end_of_turns").get(0).get("words_before").asInt()).isZero();
    assertThat(j.get("end_of_turns").get(0).get("time_s").isNull()).isTrue();
    assertThat(j.get("end_of_turns").get(1).toString())
        .isEqualTo("{\"words_before\":2,\"time_s\":1.5,\"step\":40,\"probability\":0.9}");
    assertThat(j.get("pauses").get(0).toString())
        .isEqualTo("{\"step\":10,\"probabilities\":[0.25,0.5]}");

    JsonNode plain =
        new ObjectMapper()
            .readTree(TranscriptFormats.json(null, null, "", List.of(), TURNS, false, null));
    assertThat(plain.has("end_of_turns")).isFalse();
    assertThat(plain.has("pauses")).isFalse();
    assertThat(plain.get("session_id").isNull()).isTrue();
    assertThat(plain.get("words")).isEmpty();
  }
}
