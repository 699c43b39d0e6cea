package dev.parley.server.tts;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.torch.TorchRuntime;
import dev.parley.server.text.TextTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tiny random-weight DSM TTS model ({@code tts_tiny.*}: tensors recorded from the reference
 * code) against the reference's conditioners, fuser and {@code TTSModel.generate} (greedy, cfg
 * condition "2.0").
 */
class TtsGoldenTest {
  static final int STEPS = 48;
  static final int TEXT = 64;
  static final int CARD = 64;
  static final int Q = 8;

  static NDManager manager;
  static TtsConfig cfg;
  static TtsModel model;
  static SafeTensorsFile gen;
  static JsonNode json;

  @BeforeAll
  static void load() throws IOException {
    manager = TorchRuntime.newManager();
    cfg = TtsConfig.fromJson(Golden.path("tts_tiny.config.json"));
    model = TtsModel.load(Golden.path("tts_tiny.safetensors"), cfg, manager, DataType.FLOAT32);
    gen = Golden.open("tts_tiny.gen.safetensors");
    json = new ObjectMapper().readTree(Golden.path("tts_tiny.gen.json").toFile());
  }

  @AfterAll
  static void close() throws IOException {
    gen.close();
    manager.close();
  }

  static ConditionAttributes attributes() throws IOException {
    TensorCondition voices =
        TensorCondition.voices(
            List.of(gen.floats("voice0_speaker_wavs")), 24, 6, cfg.maxSpeakers());
    return ConditionAttributes.forTts(cfg, voices, 2.0);
  }

  @Test
  void configReadsTtsSections() {
    assertThat(cfg.delaySteps()).isEqualTo(4);
    assertThat(cfg.secondStreamAhead()).isEqualTo(2);
    assertThat(cfg.multistream()).isFalse();
    assertThat(cfg.maxSpeakers()).isEqualTo(5);
    assertThat(cfg.textCard()).isEqualTo(65);
    assertThat(cfg.multiSpeaker()).isTrue();
    assertThat(cfg.voiceSuffix()).isEqualTo(".tiny0001@1.safetensors");
    assertThat(cfg.conditioners().keySet()).containsExactly("speaker_wavs", "cfg", "control");
    assertThat(cfg.conditioners().get("cfg").nBins()).isEqualTo(7);
    assertThat(cfg.validCfgValues())
        .containsExactly("1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0");
    assertThat(cfg.fuser().sum()).containsExactly("control", "cfg");
    assertThat(cfg.fuser().cross()).containsExactly("speaker_wavs");
    assertThat(cfg.fuser().crossAttentionPosEmb()).isTrue();
    assertThat(cfg.lm().crossAttention()).isTrue();
    assertThat(cfg.lm().demuxSecondTextStream()).isTrue();
    assertThat(cfg.lm().depformerLowRankEmbeddings()).isEqualTo(8);
  }

  @Test
  void voicePackingAndConditionsMatchReference() throws IOException {
    ConditionAttributes attrs = attributes();
    TensorCondition voices = attrs.tensors().get("speaker_wavs");
    assertThat(voices.values()).containsExactly(gen.floats("voice_tensor"));
    long[] mask = new long[voices.length()];
    for (int i = 0; i < mask.length; i++) {
      mask[i] = voices.mask()[i] ? 1 : 0;
    }
    assertThat(mask).containsExactly(gen.longs("voice_mask"));
    assertThat(attrs.text()).containsEntry("cfg", "2.0").containsEntry("control", "ok");
    try (NDManager scope = manager.newSubManager()) {
      Conditioners.Conditions c = model.conditioners().compute(scope, attrs);
      Golden.assertClose(
          "speaker_wavs_condition",
          c.each().get("speaker_wavs").toFloatArray(),
          gen.floats("speaker_wavs_condition"));
      Golden.assertClose(
          "cfg_condition", c.each().get("cfg").toFloatArray(), gen.floats("cfg_condition"));
      Golden.assertClose(
          "control_condition",
          c.each().get("control").toFloatArray(),
          gen.floats("control_condition"));
      Golden.assertClose("condition_sum", c.sum().toFloatArray(), gen.floats("condition_sum"));
      Golden.assertClose(
          "condition_cross", c.cross().toFloatArray(), gen.floats("condition_cross"));
    }
  }

  @Test
  void scriptToEntriesMatchesReference() throws IOException {
    try (TextTokenizer tok = TextTokenizer.load(Golden.path("tokenizer_tiny.model"))) {
      List<String> script = new ArrayList<>();
      json.get("script").forEach(s -> script.add(s.asText()));
      List<Entry> entries =
          Script.toEntries(
              tok,
              script,
              cfg.multiSpeaker(),
              json.get("prepare_script").get("padding_between").asInt(),
              TtsConfig.FRAME_RATE);
      assertThat(entries).isEqualTo(expectedEntries());
    }
  }

  static List<Entry> expectedEntries() {
    List<Entry> out = new ArrayList<>();
    for (JsonNode e : json.get("entries")) {
      int[] tokens = new int[e.get("tokens").size()];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = e.get("tokens").get(i).asInt();
      }
      out.add(new Entry(tokens, e.get("text").asText(), e.get("padding").asInt()));
    }
    return out;
  }

  /** The LM alone: the recorded text inputs forced in place of the state machine's. */
  @Test
  void perStepForwardWithRecordedTextInputsMatches() throws IOException {
    long[] textInput = gen.longs("text_input");
    long[] textSampled = gen.longs("text_sampled");
    float[] textLogits = gen.floats("text_logits");
    float[] audioLogits = gen.floats("audio_logits");
    long[] audioSampled = gen.longs("audio_sampled");
    double worstText = 0;
    double worstAudio = 0;
    try (TtsGen g = new TtsGen(model, 1, manager)) {
      g.start(
          0,
          attributes(),
          dev.parley.server.lm.SamplingParams.GREEDY,
          dev.parley.server.lm.SamplingParams.GREEDY,
          0,
          0f);
      for (int s = 0; s < STEPS; s++) {
        int at = s;
        TtsGen.Step step = g.step(new boolean[] {true}, (slot, offset, sampled) -> textInput[at]);
        worstText =
            Math.max(
                worstText,
                Golden.assertClose(
                    "text_logits step " + s,
                    step.textLogits(),
                    Arrays.copyOfRange(textLogits, s * TEXT, (s + 1) * TEXT)));
        assertThat(step.textSampled()[0]).as("text_sampled step %d", s).isEqualTo(textSampled[s]);
        for (int k = 0; k < Q; k++) {
          float[] expected =
              Arrays.copyOfRange(audioLogits, (s * Q + k) * CARD, (s * Q + k + 1) * CARD);
          if (Float.isNaN(expected[0])) {
            assertThat(step.audioLogits()[k])
                .as("no depformer at step %d", s)
                .containsOnly(Float.NaN);
          } else {
            worstAudio =
                Math.max(
                    worstAudio,
                    Golden.assertClose(
                        "audio_logits step " + s + " codebook " + k,
                        step.audioLogits()[k],
                        expected));
          }
          assertThat(step.audioSampled()[0][k])
              .as("audio_sampled step %d codebook %d", s, k)
              .isEqualTo(audioSampled[s * Q + k]);
        }
      }
    }
    System.out.printf(
        "TTS per-step forward: max |text logits err| %.3g, max |audio logits err| %.3g%n",
        worstText, worstAudio);
  }

  @Test
  void greedyGenerationWithStateMachineMatchesReference() throws IOException {
    TtsSynthesis.Result r =
        TtsSynthesis.run(
            model, expectedEntries(), attributes(), TtsSynthesis.Options.greedy(), manager, null);
    assertThat(r.steps()).hasSize(STEPS);
    long[] textSampled = gen.longs("text_sampled");
    long[] textInput = gen.longs("text_input");
    long[] depRan = gen.longs("depformer_ran");
    long[] audioSampled = gen.longs("audio_sampled");
    long[] audioTokens = gen.longs("audio_tokens");
    float[] textLogits = gen.floats("text_logits");
    float[] audioLogits = gen.floats("audio_logits");
    for (int s = 0; s < STEPS; s++) {
      TtsGen.Step step = r.steps().get(s);
      Golden.assertClose(
          "text_logits step " + s,
          step.textLogits(),
          Arrays.copyOfRange(textLogits, s * TEXT, (s + 1) * TEXT));
      assertThat(step.textSampled()[0]).as("text_sampled step %d", s).isEqualTo(textSampled[s]);
      assertThat(step.textInput()[0]).as("text_input step %d", s).isEqualTo(textInput[s]);
      assertThat(step.depformerRan()[0] ? 1L : 0L)
          .as("depformer_ran step %d", s)
          .isEqualTo(depRan[s]);
      for (int k = 0; k < Q; k++) {
        float[] expected =
            Arrays.copyOfRange(audioLogits, (s * Q + k) * CARD, (s * Q + k + 1) * CARD);
        if (!Float.isNaN(expected[0])) {
          Golden.assertClose(
              "audio_logits step " + s + " codebook " + k, step.audioLogits()[k], expected);
        }
        assertThat(step.audioSampled()[0][k])
            .as("audio_sampled %d/%d", s, k)
            .isEqualTo(audioSampled[s * Q + k]);
        assertThat(step.audioTokens()[0][k])
            .as("audio_tokens %d/%d", s, k)
            .isEqualTo(audioTokens[s * Q + k]);
      }
    }
    long[] frames = gen.longs("frames");
    long[] frameStep = gen.longs("frame_step");
    assertThat(r.frames()).hasSize(frameStep.length);
    for (int j = 0; j < frameStep.length; j++) {
      assertThat(r.frameSteps().get(j)).isEqualTo(frameStep[j]);
      assertThat(r.frames().get(j))
          .as("frame %d", j)
          .containsExactly(Arrays.copyOfRange(frames, j * 9, (j + 1) * 9));
    }
    assertThat(r.endStep()).isEqualTo(json.get("end_step").asLong());
    assertThat(r.consumptionSteps())
        .containsExactlyElementsOf(boxed(gen.longs("consumption_steps")));
    long[] entryIndex = gen.longs("transcript_entry_index");
    long[] wordStep = gen.longs("transcript_step");
    assertThat(r.transcript()).hasSize(entryIndex.length);
    for (int i = 0; i < entryIndex.length; i++) {
      TtsStateMachine.Word w = r.transcript().get(i);
      assertThat(w.entryIndex()).isEqualTo(entryIndex[i]);
      assertThat(w.step()).isEqualTo(wordStep[i]);
      assertThat(w.text()).isEqualTo(json.get("transcript").get(i).get("word").asText());
    }
  }

  /** The reference's pcm: streaming Mimi over frames[delay_steps:], clipped to [-1, 1]. */
  @Test
  void pcmOfTheFramesMatchesReference() throws IOException {
    long[] frames = gen.longs("frames");
    int count = frames.length / 9;
    dev.parley.codec.mimi.MimiModel mimi =
        dev.parley.codec.mimi.MimiModel.load(
            Golden.path("mimi_tiny.safetensors"),
            dev.parley.codec.mimi.MimiConfig.fromJson(Golden.path("mimi_tiny.config.json")),
            manager,
            DataType.FLOAT32);
    assertThat(mimi.numCodebooks()).isEqualTo(Q);
    float[] pcm = new float[(count - cfg.delaySteps()) * mimi.frameSize()];
    try (dev.parley.codec.mimi.MimiStreams streams = mimi.newStreams(manager, 1)) {
      for (int j = cfg.delaySteps(); j < count; j++) {
        long[] codes = Arrays.copyOfRange(frames, j * 9 + 1, (j + 1) * 9);
        float[] out =
            mimi.decodeFrame(new long[][] {codes}, streams, dev.parley.codec.nn.ExecMask.all(1))[0];
        for (int i = 0; i < out.length; i++) {
          pcm[(j - cfg.delaySteps()) * mimi.frameSize() + i] = Math.max(-1f, Math.min(1f, out[i]));
        }
      }
    }
    double err = Golden.assertClose("pcm", pcm, gen.floats("pcm"));
    System.out.printf("TTS pcm: max abs err %.3g over %d samples%n", err, pcm.length);
  }

  static List<Long> boxed(long[] v) {
    List<Long> out = new ArrayList<>();
    for (long x : v) {
      out.add(x);
    }
    return out;
  }
}
