package dev.parley.server.stt;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.mimi.MimiStreams;
import dev.parley.codec.nn.ExecMask;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.testing.Golden;
import dev.parley.server.lm.LmGen;
import dev.parley.server.model.SpeechModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The golden word-timestamp run ({@code stt_tiny.words.*}: the reference driver {@code
 * stt_from_file_pytorch.py} on the tiny STT model): pcm → streaming Mimi → STT LM with 13 silent
 * frames before and 32 after, greedy — first with the building blocks, then through {@link
 * SttEngine}.
 */
class SttGoldenPipelineTest {
  @TempDir static Path dir;
  static SpeechModel model;
  static JsonNode words;
  static long[] inputCodes; // [1, 8, 75]
  static long[] textTokens; // [75]
  static float[] extraHeads; // [75, 2, 6]
  static float[] pcm;

  @BeforeAll
  static void load() throws Exception {
    model = SttTestModels.goldenModel(dir);
    words = new ObjectMapper().readTree(Golden.path("stt_tiny.words.json").toFile());
    try (SafeTensorsFile f = Golden.open("stt_tiny.words.safetensors")) {
      inputCodes = f.longs("input_codes");
      textTokens = f.longs("text_tokens");
      extraHeads = f.floats("extra_heads");
    }
    pcm = SttTestModels.goldenPcm();
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @Test
  void theModelSettingsGiveTheGoldenPrefixSuffixAndOffset() {
    SttSettings s = SttSettings.of(model);
    assertThat(s.prefixFrames()).isEqualTo(words.get("n_prefix_chunks").asInt());
    assertThat(s.delayFrames()).isEqualTo(words.get("n_suffix_chunks").asInt());
    assertThat(s.offsetSeconds()).isEqualTo(words.get("offset_seconds").asDouble());
    assertThat(pcm.length).isEqualTo(1920 * words.get("n_audio_chunks").asInt());
  }

  @Test
  void streamingMimiAndLmReproduceTheReferenceDriver() {
    int steps = 75;
    try (MimiStreams codec = model.mimi().newStreams(model.manager(), 1);
        LmGen gen = new LmGen(model.lm(), 1, model.manager())) {
      for (int s = 0; s < steps; s++) {
        float[] chunk = new float[1920];
        int audio = s - 13;
        if (audio >= 0 && audio < 30) {
          System.arraycopy(pcm, audio * 1920, chunk, 0, 1920);
        }
        long[] codes = model.mimi().encodeFrame(new float[][] {chunk}, codec, ExecMask.all(1))[0];
        for (int k = 0; k < 8; k++) {
          assertThat(codes[k])
              .as("Mimi code %d of step %d", k, s)
              .isEqualTo(inputCodes[k * steps + s]);
        }
        LmGen.Step out = gen.step(new long[][] {codes}, new boolean[] {true});
        assertThat(out.textToken()[0]).as("text token of step %d", s).isEqualTo(textTokens[s]);
        Golden.assertClose(
            "extra heads of step " + s,
            out.extraHeads(),
            Arrays.copyOfRange(extraHeads, s * 12, s * 12 + 12));
      }
    }
  }

  /**
   * The README's end-of-turn rule applied to the golden data (independent of the engine's code).
   */
  static List<Long> endOfTurnSteps(int head, double threshold) {
    List<Long> out = new ArrayList<>();
    boolean signalled = false;
    for (int s = 0; s < 75; s++) {
      if (extraHeads[s * 12 + head * 6] > threshold && !signalled) {
        out.add((long) s);
        signalled = true;
      }
      if (textTokens[s] != 0 && textTokens[s] != 3) {
        signalled = false;
      }
    }
    return out;
  }

  static Recorder transcribe(SttEngine engine, SttOptions options) throws Exception {
    Recorder r = new Recorder();
    SttSession session = engine.open(options, r);
    session.marker(7); // before any audio: back once the prefix and 32 steps of lag have passed
    for (int off = 0; off < pcm.length; off += 1000) {
      session.offerAudio(pcm, off, Math.min(1000, pcm.length - off));
    }
    session.marker(8); // after all audio: back after the last flush step
    session.endOfInput();
    r.awaitTranscript();
    return r;
  }

  @Test
  void theEngineGivesTheGoldenTokensPausesWordsAndTurns() throws Exception {
    try (SttEngine engine = new SttEngine(model, 2, 100)) {
      assertThat(engine.pauseHeads()).isEqualTo(words.get("num_extra_heads").asInt());
      Recorder r = transcribe(engine, SttOptions.defaults());
      assertThat(r.tokens()).containsExactly(textTokens);
      JsonNode pause = words.get("pause_prob");
      assertThat(r.steps).hasSize(75);
      for (int s = 0; s < 75; s++) {
        SttStep step = r.steps.get(s);
        assertThat(step.index()).isEqualTo(s);
        float[] expected = {
          (float) pause.get(s).get(0).asDouble(), (float) pause.get(s).get(1).asDouble()
        };
        Golden.assertClose("pause probabilities of step " + s, step.pauseProbabilities(), expected);
      }
      assertThat(r.awaitTranscript()).isEmpty(); // the golden words: none
      assertThat(words.get("words")).isEmpty();
      // Head 2 asked, the model has 2 heads: head 1 is used, and its golden end-of-turn steps are
      // none.
      assertThat(words.get("end_of_turn_steps_by_head").get("1")).isEmpty();
      assertThat(r.endOfTurn).isEmpty();
      assertThat(r.markers).containsExactly(7L, 8L);
      assertThat(r.markerSteps).containsExactly(13L + 32, 75L);
      assertThat(r.events.get(r.events.size() - 1)).isEqualTo("transcript");
      assertThat(r.closed.get()).isEmpty();
      assertThat(engine.activeSessions()).isZero();
    }
  }

  @Test
  void endOfTurnFollowsTheReferenceRuleOnTheChosenHead() throws Exception {
    try (SttEngine engine = new SttEngine(model, 1, 100)) {
      for (int head = 0; head < 3; head++) {
        double threshold = 0.1;
        Recorder r = transcribe(engine, SttOptions.defaults().withEndOfTurn(head, threshold));
        List<Long> expected = endOfTurnSteps(Math.min(head, 1), threshold);
        assertThat(expected).as("the threshold makes the rule fire").isNotEmpty();
        assertThat(r.endOfTurn.stream().map(a -> a[0]).toList())
            .as("head %d", head)
            .isEqualTo(expected);
      }
    }
  }
}
