package dev.parley.server.tts;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.torch.TorchRuntime;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Classic (batch-doubled) CFG for a TTS model without CFG distillation, checked against two plain
 * runs: the conditioned one and one with every condition dropped and the text zeroed. Until the
 * depformer first runs the guided run is the conditioned one (text logits are the conditioned ones:
 * {@code cfg_is_no_text}); at that step each codebook's logits are {@code null + (cond −
 * null)·coef}.
 */
class TtsClassicCfgTest {
  static final double COEF = 2.5;

  /** The tiny golden TTS configuration without its {@code cfg} condition: classic CFG. */
  static TtsConfig classicConfig() throws java.io.IOException {
    JsonNode lm =
        SynthesisModel.withoutCfgCondition(
            new ObjectMapper().readTree(Golden.path("tts_tiny.config.json").toFile()));
    TtsConfig cfg = TtsConfig.from(lm, lm.get("tts_config"), null);
    assertThat(cfg.validCfgValues()).isEmpty();
    assertThat(cfg.fuser().sum()).containsExactly("control");
    return cfg;
  }

  /** A voice embedding of the tiny model, a different one for each {@code voice}. */
  static ConditionAttributes voiceAttributes(TtsConfig cfg, int voice) {
    float[] wavs = new float[24 * 6];
    for (int i = 0; i < wavs.length; i++) {
      wavs[i] = (float) Math.sin(i * (0.37 + 0.11 * voice));
    }
    return ConditionAttributes.forTts(
        cfg, TensorCondition.voices(List.of(wavs), 24, 6, cfg.maxSpeakers()), null);
  }

  @Test
  void guidedLogitsCombineTheConditionedAndTheNullRuns() throws Exception {
    TtsConfig cfg = classicConfig();
    try (NDManager m = TorchRuntime.newManager()) {
      TtsModel model = TtsModel.random(cfg, m, 42, DataType.FLOAT32);
      ConditionAttributes attrs = voiceAttributes(cfg, 0);
      int depQ = cfg.lm().depQ();
      int delay = cfg.delaySteps();
      try (TtsGen guided = new TtsGen(model, 2, depQ, COEF, m);
          TtsGen cond = new TtsGen(model, 1, depQ, 1.0, m);
          TtsGen none = new TtsGen(model, 1, depQ, 1.0, m)) {
        // Slot 1 of the guided run holds another voice: slots must not leak into each other.
        guided.start(0, attrs, lmGreedy(), lmGreedy(), 0, 0f);
        guided.start(
            1,
            ConditionAttributes.forTts(
                cfg,
                TensorCondition.voices(List.of(new float[24 * 6]), 24, 6, cfg.maxSpeakers()),
                null),
            lmGreedy(),
            lmGreedy(),
            0,
            0f);
        cond.start(0, attrs, lmGreedy(), lmGreedy(), 0, 0f);
        none.start(0, attrs.nulled(), lmGreedy(), lmGreedy(), 0, 0f);
        // A fixed text schedule stands in for the state machine: pads, then a word token.
        TtsGen.TextHook text = (slot, offset, sampled) -> offset == 1 ? 0 : offset == 2 ? 17 : 3;
        for (int s = 0; s <= delay; s++) {
          TtsGen.Step g = guided.step(new boolean[] {true, true}, text);
          TtsGen.Step c = cond.step(new boolean[] {true}, text);
          int at = s;
          // The null run reads zeroed text, but its depformer sees the conditioned text token.
          TtsGen.Step n =
              none.step(
                  new boolean[] {true},
                  (slot, offset, sampled) ->
                      at < delay ? TtsGen.ZERO : text.onText(slot, offset, sampled));
          float[] gText = java.util.Arrays.copyOf(g.textLogits(), cfg.lm().textCardOut());
          assertThat(gText)
              .as("text logits at step %d", s)
              .usingElementComparator(close(1e-5f))
              .containsExactly(c.textLogits());
          if (s < delay) {
            assertThat(g.depformerRan()[0]).isFalse();
            continue;
          }
          assertThat(g.depformerRan()[0]).isTrue();
          int card = cfg.lm().card();
          float[] expected = new float[card];
          for (int i = 0; i < card; i++) {
            float nl = n.audioLogits()[0][i];
            expected[i] = (float) (nl + (c.audioLogits()[0][i] - nl) * COEF);
          }
          assertThat(java.util.Arrays.copyOf(g.audioLogits()[0], card))
              .usingElementComparator(close(1e-4f))
              .containsExactly(expected);
          assertThat(expected).isNotEqualTo(java.util.Arrays.copyOf(c.audioLogits()[0], card));
        }
      }
    }
  }

  static dev.parley.server.lm.SamplingParams lmGreedy() {
    return dev.parley.server.lm.SamplingParams.GREEDY;
  }

  static java.util.Comparator<Float> close(float tol) {
    return (a, b) -> Math.abs(a - b) <= tol ? 0 : Float.compare(a, b);
  }
}
