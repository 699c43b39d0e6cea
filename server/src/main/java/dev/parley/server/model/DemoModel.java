package dev.parley.server.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.mimi.MimiConfig;
import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.nn.Parameters;
import dev.parley.codec.nn.RandomParameters;
import dev.parley.codec.torch.TorchRuntime;
import dev.parley.server.lm.LmConfig;
import dev.parley.server.lm.LmModel;
import dev.parley.server.text.TextTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The offline demo: a small model of the real architecture family (a Mimi with the released
 * structure at reduced width, a Moshi-style LM with 16 streams, delays and a depth transformer, and
 * a 64-piece SentencePiece tokenizer), seeded random weights, built in memory from no files. Every
 * pipeline runs with it; its audio is not speech.
 */
public final class DemoModel {
  public static final long SEED = 20251122L;

  private DemoModel() {}

  static final String MIMI =
      """
      {"sample_rate": 24000, "frame_rate": 12.5,
       "seanet": {"dimension": 32, "n_filters": 4, "ratios": [8, 6, 5, 4], "kernel_size": 7,
                  "residual_kernel_size": 3, "last_kernel_size": 3, "n_residual_layers": 1,
                  "dilation_base": 2, "compress": 2},
       "transformer": {"d_model": 32, "num_heads": 2, "num_layers": 2, "dim_feedforward": 64, "context": 250,
                       "layer_scale": 0.01, "norm": "layer_norm", "gating": "none",
                       "positional_embedding": "rope", "max_period": 10000},
       "quantizer": {"dimension": 16, "n_q": 8, "bins": 64},
       "num_codebooks": 8}""";

  static final String LM =
      """
      {"dim": 64, "text_card": 64, "existing_text_padding_id": 3, "n_q": 16, "dep_q": 8, "card": 64,
       "num_heads": 4, "num_layers": 2, "hidden_scale": 4.125, "causal": true, "layer_scale": null,
       "context": 250, "max_period": 10000, "gating": "silu", "norm": "rms_norm_f32",
       "positional_embedding": "rope", "depformer_dim": 32, "depformer_dim_feedforward": 132,
       "depformer_num_heads": 2, "depformer_num_layers": 2, "depformer_layer_scale": null,
       "depformer_multi_linear": true, "depformer_max_period": 10000, "depformer_gating": "silu",
       "depformer_pos_emb": "none", "depformer_weights_per_step": true,
       "delays": [0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1]}""";

  /**
   * The transcription demo's LM: the dialogue demo's temporal transformer with no depth transformer
   * ({@code dep_q} 0), the 8 Mimi codebooks as input, all delays 0, and 4 extra heads of 6 classes
   * (the pause predictors of Kyutai's STT models).
   */
  static final String STT_LM =
      """
      {"dim": 64, "text_card": 64, "existing_text_padding_id": 3, "n_q": 8, "dep_q": 0, "card": 64,
       "num_heads": 4, "num_layers": 2, "hidden_scale": 4.125, "causal": true, "layer_scale": null,
       "context": 250, "max_period": 10000, "gating": "silu", "norm": "rms_norm_f32",
       "positional_embedding": "rope", "depformer_dim": 32, "depformer_dim_feedforward": 132,
       "depformer_num_heads": 2, "depformer_num_layers": 2, "depformer_multi_linear": true,
       "depformer_pos_emb": "none", "extra_heads_num_heads": 4, "extra_heads_dim": 6,
       "delays": [0, 0, 0, 0, 0, 0, 0, 0, 0]}""";

  /** The name of the transcription demo model. */
  public static final String STT_NAME = "demo-stt";

  /** {@code stt_config} of the transcription demo: the values of Kyutai's {@code stt-2.6b-en}. */
  static final String STT_CONFIG =
      """
      {"model_type": "stt",
       "stt_config": {"audio_silence_prefix_seconds": 1.0, "audio_delay_seconds": 2.5}}""";

  public static MimiConfig mimiConfig() {
    return MimiConfig.fromJson(json(MIMI));
  }

  public static LmConfig lmConfig() {
    return LmConfig.fromJson(json(LM));
  }

  /**
   * Gain of the demo Mimi's output: random weights decode to noise near full scale (peaks at ±1,
   * RMS about -11 dBFS), a blast in headphones; a tenth of it plays at a quiet level.
   */
  static final float OUTPUT_GAIN = 0.1f;

  /**
   * The demo's Mimi: seeded random weights, the decoder's last convolution scaled by {@link
   * #OUTPUT_GAIN} (its bias is zero, so the whole output is), everything else as {@link
   * MimiModel#random}.
   */
  public static MimiModel mimi(MimiConfig config, NDManager m) {
    Parameters random = new RandomParameters(m, SEED, DataType.FLOAT32);
    Parameters quiet =
        new Parameters() {
          @Override
          public NDArray get(String name, long... shape) {
            NDArray w = random.get(name, shape);
            if (name.startsWith("decoder.model.")
                && name.endsWith(".conv.conv.weight")
                && shape[0] == config.seanet().channels()) {
              NDArray scaled = w.mul(OUTPUT_GAIN);
              w.close();
              return scaled;
            }
            return w;
          }

          @Override
          public NDManager manager() {
            return m;
          }
        };
    return new MimiModel(config, quiet, DataType.FLOAT32);
  }

  public static SpeechModel build(Device device) {
    NDManager m = TorchRuntime.newManager(device);
    try {
      MimiModel mimi = mimi(mimiConfig(), m);
      LmModel lm = LmModel.random(lmConfig(), m, SEED + 1, DataType.FLOAT32);
      return new SpeechModel("demo", KyutaiModelConfig.defaults(), mimi, lm, tokenizer(), m);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** The name of the prompted-dialogue demo ({@link #buildPersonaPlex}). */
  public static final String PERSONAPLEX_NAME = "demo-personaplex";

  /**
   * PersonaPlex's additions for the prompted demo: silence and sine codes (any fixed codes of the
   * demo Mimi's 64 bins serve for random weights), 6 silent frames between prompt phases.
   */
  static final String PERSONAPLEX =
      """
      {"silence_tokens": [27, 36, 15, 28, 6, 56, 36, 54], "sine_tokens": [0, 36, 49, 4, 6, 54, 48, 5],
       "zero_text_code": 3, "audio_silence_frame_cnt": 6}""";

  /**
   * The prompted-dialogue demo ({@code demo-personaplex}): the dialogue demo's Mimi, tokenizer and
   * LM shape with all 16 streams predicted by the depth transformer ({@code dep_q} 16, as
   * PersonaPlex), seeded random weights, and a {@code personaplex} config, so voice and text
   * prompts run through the engine's prefill with no files. Its output is not speech.
   */
  public static SpeechModel buildPersonaPlex(Device device) {
    com.fasterxml.jackson.databind.node.ObjectNode lmJson =
        (com.fasterxml.jackson.databind.node.ObjectNode) json(LM);
    lmJson.put("dep_q", 16);
    lmJson.set("personaplex", json(PERSONAPLEX));
    LmConfig lmConfig = LmConfig.fromJson(lmJson);
    dev.parley.server.persona.PersonaPlexConfig pp =
        dev.parley.server.persona.PersonaPlexConfig.fromJson(lmJson, lmConfig);
    NDManager m = TorchRuntime.newManager(device);
    try {
      MimiModel mimi = mimi(mimiConfig(), m);
      LmModel lm = LmModel.random(lmConfig, m, SEED + 3, DataType.FLOAT32);
      return new SpeechModel(
          PERSONAPLEX_NAME, KyutaiModelConfig.defaults(), mimi, lm, tokenizer(), m, pp);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  public static LmConfig sttLmConfig() {
    return LmConfig.fromJson(json(STT_LM));
  }

  /**
   * The transcription demo ({@code demo-stt}): the dialogue demo's Mimi and tokenizer, an
   * STT-shaped LM ({@link #sttLmConfig}) with seeded random weights, {@code model_type} stt and an
   * {@code stt_config}. Its text is not a transcript.
   */
  public static SpeechModel buildStt(Device device) {
    NDManager m = TorchRuntime.newManager(device);
    try {
      MimiModel mimi = mimi(mimiConfig(), m);
      LmModel lm = LmModel.random(sttLmConfig(), m, SEED + 2, DataType.FLOAT32);
      return new SpeechModel(
          STT_NAME, KyutaiModelConfig.parse(json(STT_CONFIG)), mimi, lm, tokenizer(), m);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  public static TextTokenizer tokenizer() {
    try (InputStream in = DemoModel.class.getResourceAsStream("demo-tokenizer.model")) {
      if (in == null) {
        throw new IllegalStateException("demo-tokenizer.model missing from the jar");
      }
      return TextTokenizer.fromBytes(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static com.fasterxml.jackson.databind.JsonNode json(String s) {
    try {
      return new ObjectMapper().readTree(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
