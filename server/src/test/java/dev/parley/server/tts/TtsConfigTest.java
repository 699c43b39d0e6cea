package dev.parley.server.tts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.torch.TorchRuntime;
import dev.parley.server.lm.LmConfig;
import dev.parley.server.lm.LmModel;
import dev.parley.server.model.KyutaiModelConfig;
import org.junit.jupiter.api.Test;

class TtsConfigTest {
  /**
   * The key layout of kyutai/tts-1.6b-en_fr's config.json (file names, sections and architecture in
   * one object).
   */
  static final String REAL_LAYOUT =
      """
      {"moshi_name": "dsm_tts_1e68beda@240.safetensors", "mimi_name": "tokenizer-e351c8d8-checkpoint125.safetensors",
       "tokenizer_name": "tokenizer_spm_8k_en_fr_audio.model", "model_type": "tts",
       "model_id": {"sig": "1e68beda", "epoch": 240},
       "lm_gen_config": {"temp": 0.6, "temp_text": 0.6, "top_k": 250, "top_k_text": 50},
       "tts_config": {"audio_delay": 1.28, "second_stream_ahead": 2},
       "dim": 2048, "text_card": 8000, "existing_text_padding_id": 3, "n_q": 32, "dep_q": 32, "card": 2048,
       "num_heads": 16, "num_layers": 16, "hidden_scale": 4.125, "causal": true, "layer_scale": null,
       "context": 500, "max_period": 10000, "gating": "silu", "norm": "rms_norm_f32",
       "positional_embedding": "rope", "depformer_dim": 1024, "depformer_num_heads": 16,
       "depformer_num_layers": 4, "depformer_dim_feedforward": 4096, "depformer_multi_linear": true,
       "depformer_pos_emb": "none", "depformer_weights_per_step": true, "depformer_low_rank_embeddings": 128,
       "depformer_weights_per_step_schedule": [0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9,
         10, 10, 10, 10, 10, 10, 10, 10],
       "delays": [0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
       "demux_second_stream": true, "text_card_out": null, "cross_attention": true,
       "conditioners": {
         "speaker_wavs": {"type": "tensor", "tensor": {"dim": 512}},
         "cfg": {"type": "lut", "lut": {"n_bins": 7, "dim": 16, "tokenizer": "noop",
                 "possible_values": ["1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0"]}},
         "control": {"type": "lut", "lut": {"dim": 2048, "n_bins": 1, "tokenizer": "noop", "possible_values": ["ok"]}}},
       "fuser": {"cross_attention_pos_emb": true, "cross_attention_pos_emb_scale": 1, "sum": ["control", "cfg"],
                 "prepend": [], "cross": ["speaker_wavs"]}}""";

  static KyutaiModelConfig parse(String json) throws Exception {
    return KyutaiModelConfig.parse(new ObjectMapper().readTree(json));
  }

  @Test
  void theRealKeyLayoutParses() throws Exception {
    TtsConfig c = TtsConfig.from(parse(REAL_LAYOUT));
    assertThat(c.delaySteps()).isEqualTo(16);
    assertThat(c.secondStreamAhead()).isEqualTo(2);
    assertThat(c.maxSpeakers()).isEqualTo(5);
    assertThat(c.voiceSuffix()).isEqualTo(".1e68beda@240.safetensors");
    assertThat(c.textCard()).isEqualTo(8001);
    assertThat(c.lm().crossAttention()).isTrue();
    assertThat(c.lm().depQ()).isEqualTo(32);
    assertThat(c.lm().depformerInputs()).isEqualTo(11);
    assertThat(c.conditioners().get("speaker_wavs").type())
        .isEqualTo(ConditionerConfig.Type.TENSOR);
    assertThat(c.conditioners().get("speaker_wavs").dim()).isEqualTo(512);
    assertThat(c.conditioners().get("control").outputProjection())
        .isTrue(); // force_linear by default
    assertThat(c.validCfgValues()).hasSize(7);
    assertThat(c.conditioners().get("cfg").lutIndex(null)).isEqualTo(7);
    assertThat(c.conditioners().get("cfg").lutIndex("2.0")).isEqualTo(2);
    assertThatThrownBy(() -> c.conditioners().get("cfg").lutIndex("5.0"))
        .hasMessageContaining("not a valid value");
  }

  @Test
  void badConditioningIsRefusedClearly() throws Exception {
    ObjectMapper om = new ObjectMapper();
    ObjectNode prepend = (ObjectNode) om.readTree(REAL_LAYOUT);
    ((ObjectNode) prepend.get("fuser")).putArray("prepend").add("control");
    assertThatThrownBy(() -> TtsConfig.from(KyutaiModelConfig.parse(prepend)))
        .hasMessageContaining("prepend");
    ObjectNode unknown = (ObjectNode) om.readTree(REAL_LAYOUT);
    ((ObjectNode) unknown.get("fuser")).putArray("sum").add("nope");
    assertThatThrownBy(() -> TtsConfig.from(KyutaiModelConfig.parse(unknown)))
        .hasMessageContaining("nope");
    ObjectNode noCross = (ObjectNode) om.readTree(REAL_LAYOUT);
    noCross.put("cross_attention", false);
    assertThatThrownBy(() -> TtsConfig.from(KyutaiModelConfig.parse(noCross)))
        .hasMessageContaining("cross_attention");
    ObjectNode badType = (ObjectNode) om.readTree(REAL_LAYOUT);
    ((ObjectNode) badType.get("conditioners").get("cfg")).put("type", "t5");
    assertThatThrownBy(() -> TtsConfig.from(KyutaiModelConfig.parse(badType)))
        .hasMessageContaining("unknown type");
    ObjectNode noDelay = (ObjectNode) om.readTree(REAL_LAYOUT);
    noDelay.remove("tts_config");
    assertThatThrownBy(() -> TtsConfig.from(KyutaiModelConfig.parse(noDelay)))
        .hasMessageContaining("audio_delay");
  }

  @Test
  void everyTensorOfTheTinyCheckpointIsLoadedAndNoneIsLeftOver() throws Exception {
    try (NDManager m = TorchRuntime.newManager();
        var file =
            dev.parley.codec.tensor.SafeTensorsFile.open(Golden.path("tts_tiny.safetensors"))) {
      assertThat(file.tensors()).hasSize(105);
      TtsConfig cfg = TtsConfig.fromJson(Golden.path("tts_tiny.config.json"));
      TtsModel model =
          TtsModel.load(Golden.path("tts_tiny.safetensors"), cfg, m, DataType.FLOAT32); // verifies
      assertThat(model.lm().transformer().hasCrossAttention()).isTrue();
      assertThat(model.lm().depformer().hasCrossAttention()).isFalse();
      // The LM loader alone refuses a checkpoint with conditioners, naming the loader to use.
      assertThatThrownBy(
              () ->
                  LmModel.load(Golden.path("tts_tiny.safetensors"), cfg.lm(), m, DataType.FLOAT32))
          .hasMessageContaining("TtsModel");
      // A model config without cross-attention does not fit the checkpoint: its extra weights are
      // listed.
      LmConfig plain =
          LmConfig.fromJson(
              ((ObjectNode) parse(REAL_LAYOUT).lmConfig().get()).put("cross_attention", false));
      assertThat(plain.crossAttention()).isFalse();
    }
  }

  @Test
  void randomModelGenerates() throws Exception {
    try (NDManager m = TorchRuntime.newManager()) {
      TtsConfig cfg = TtsConfig.fromJson(Golden.path("tts_tiny.config.json"));
      TtsModel model = TtsModel.random(cfg, m, 7, DataType.FLOAT32);
      TensorCondition voice =
          TensorCondition.voices(java.util.List.of(new float[24 * 6]), 24, 6, cfg.maxSpeakers());
      TtsSynthesis.Result r =
          TtsSynthesis.run(
              model,
              java.util.List.of(
                  new Entry(new int[] {1, 5, 6}, "a", 3),
                  new Entry(new int[0], "", 2),
                  new Entry(new int[] {7}, "b", 1)),
              ConditionAttributes.forTts(cfg, voice, 1.5),
              TtsSynthesis.Options.greedy(),
              m,
              null);
      assertThat(r.endStep()).isNotNull();
      assertThat(r.transcript()).extracting(TtsStateMachine.Word::text).containsExactly("a", "b");
      assertThat(r.consumptionSteps()).hasSize(3);
      assertThat(r.frames()).hasSize(r.steps().size() - cfg.lm().maxDelay());
    }
  }
}
