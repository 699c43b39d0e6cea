package dev.parley.server.tts;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.parley.codec.mimi.MimiConfig;
import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.torch.TorchRuntime;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.KyutaiCheckpoint;
import dev.parley.server.model.KyutaiModelConfig;
import dev.parley.server.model.ModelReference;
import dev.parley.server.model.ModelResolver;
import dev.parley.server.text.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A loaded text-to-speech model: the TTS LM with its conditioners, the Mimi decoder, the text
 * tokenizer and the voices it can speak with. Owns the native memory of all weights; shared by
 * every session of its {@link TtsEngine}.
 */
public final class SynthesisModel implements AutoCloseable {
  private final String name;
  private final TtsModel tts;
  private final MimiModel mimi;
  private final TextTokenizer tokenizer;
  private final VoiceLibrary voices;
  private final NDManager manager;
  private final boolean demo;

  public SynthesisModel(
      String name,
      TtsModel tts,
      MimiModel mimi,
      TextTokenizer tokenizer,
      VoiceLibrary voices,
      NDManager manager,
      boolean demo) {
    if (tts.lm().config().card() != mimi.config().quantizer().bins()) {
      throw new IllegalArgumentException(
          "TTS card "
              + tts.lm().config().card()
              + " != Mimi bins "
              + mimi.config().quantizer().bins());
    }
    if (tts.lm().config().depQ() > mimi.numCodebooks()) {
      throw new IllegalArgumentException(
          "the TTS model writes "
              + tts.lm().config().depQ()
              + " codebooks but Mimi decodes "
              + mimi.numCodebooks());
    }
    this.name = name;
    this.tts = tts;
    this.mimi = mimi;
    this.tokenizer = tokenizer;
    this.voices = voices;
    this.manager = manager;
    this.demo = demo;
  }

  /**
   * Resolves (downloading when online) a Kyutai TTS checkpoint such as {@code
   * kyutai/tts-1.6b-en_fr} and loads it on {@code device}. Voices come from {@code voiceFolder}
   * when given, else from the {@code kyutai/tts-voices} snapshot in the Hugging Face cache,
   * fetching a named voice on first use when the hub is reachable.
   */
  public static SynthesisModel load(
      ModelReference reference,
      ModelResolver resolver,
      Device device,
      DataType lmType,
      Path voiceFolder,
      String defaultVoice)
      throws IOException {
    KyutaiCheckpoint ckpt = KyutaiCheckpoint.resolve(resolver, reference);
    KyutaiModelConfig cfg = ckpt.config();
    if (!"tts".equals(cfg.modelType())) {
      throw new IllegalArgumentException(
          reference + " is a '" + cfg.modelType() + "' model, not a TTS model");
    }
    TtsConfig ttsConfig = TtsConfig.from(cfg);
    MimiConfig mimiConfig = ckpt.codecConfig();
    VoiceLibrary voices =
        voiceFolder != null
            ? VoiceLibrary.folder(
                voiceFolder,
                ttsConfig.voiceSuffix(),
                voiceFolder.toString(),
                defaultVoice == null ? VoiceLibrary.KYUTAI_DEFAULT_VOICE : defaultVoice,
                null)
            : hubVoices(resolver, ttsConfig, defaultVoice);
    NDManager m = TorchRuntime.newManager(device);
    try {
      MimiModel mimi = MimiModel.load(ckpt.mimiWeights(), mimiConfig, m, DataType.FLOAT32);
      TtsModel tts = TtsModel.load(ckpt.moshiWeights(), ttsConfig, m, lmType);
      TextTokenizer tok = TextTokenizer.load(ckpt.tokenizer());
      return new SynthesisModel(reference.toString(), tts, mimi, tok, voices, m, /* demo= */ false);
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** The name of the built-in TTS model. */
  public static final String DEMO_NAME = "demo-tts";

  /** The demo's built-in voices. */
  public static final List<String> DEMO_VOICES = List.of("demo-alto", "demo-bass");

  /**
   * The demo TTS architecture: the structure of {@code kyutai/tts-1.6b-en_fr} (cross-attention on a
   * voice, demuxed lookahead text stream, CFG-distilled {@code cfg} condition, low-rank depformer
   * embeddings, acoustic delay 2) at the width of the other demos, reading the demo Mimi's 8
   * codebooks; text leads audio by 0.48 s (6 steps).
   */
  static final String DEMO_CONFIG =
      """
      {"dim": 64, "text_card": 64, "existing_text_padding_id": 3, "n_q": 8, "dep_q": 8, "card": 64,
       "num_heads": 4, "num_layers": 2, "hidden_scale": 4.125, "causal": true, "layer_scale": null,
       "context": 250, "max_period": 10000, "gating": "silu", "norm": "rms_norm_f32",
       "positional_embedding": "rope", "depformer_dim": 32, "depformer_num_heads": 2,
       "depformer_num_layers": 2, "depformer_dim_feedforward": 96, "depformer_multi_linear": true,
       "depformer_pos_emb": "none", "depformer_weights_per_step": true,
       "depformer_low_rank_embeddings": 16, "depformer_weights_per_step_schedule": [0, 1, 2, 3, 4, 4, 5, 5],
       "demux_second_stream": true, "text_card_out": null, "cross_attention": true,
       "delays": [0, 0, 2, 2, 2, 2, 2, 2, 2],
       "conditioners": {
         "speaker_wavs": {"type": "tensor", "tensor": {"dim": 32}},
         "cfg": {"type": "lut", "lut": {"n_bins": 7, "dim": 16, "tokenizer": "noop",
                 "possible_values": ["1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0"]}},
         "control": {"type": "lut", "lut": {"n_bins": 1, "dim": 16, "tokenizer": "noop", "possible_values": ["ok"]}}},
       "fuser": {"cross_attention_pos_emb": true, "cross_attention_pos_emb_scale": 1, "sum": ["control", "cfg"],
                 "prepend": [], "cross": ["speaker_wavs"]},
       "tts_config": {"audio_delay": 0.48, "second_stream_ahead": 2},
       "model_id": {"sig": "demo0001", "epoch": 1}, "model_type": "tts"}""";

  /** The built-in TTS model: {@link #DEMO_CONFIG}, seeded random weights, two random voices. */
  public static SynthesisModel demo(Device device) {
    return demo(device, /* classicCfg= */ false);
  }

  /**
   * As {@link #demo(Device)}; {@code classicCfg}: without the {@code cfg} condition ({@link
   * #withoutCfgCondition}), so the engine guides it the classic way, two rows per session.
   */
  public static SynthesisModel demo(Device device, boolean classicCfg) {
    NDManager m = TorchRuntime.newManager(device);
    try {
      com.fasterxml.jackson.databind.JsonNode json =
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(DEMO_CONFIG);
      KyutaiModelConfig kc = KyutaiModelConfig.parse(classicCfg ? withoutCfgCondition(json) : json);
      TtsConfig cfg = TtsConfig.from(kc);
      MimiModel mimi = DemoModel.mimi(DemoModel.mimiConfig(), m);
      TtsModel tts = TtsModel.random(cfg, m, DemoModel.SEED + 3, DataType.FLOAT32);
      List<Voice> voices = new ArrayList<>();
      java.util.SplittableRandom r = new java.util.SplittableRandom(DemoModel.SEED + 4);
      for (String n : DEMO_VOICES) {
        float[] w = new float[32 * 10];
        for (int i = 0; i < w.length; i++) {
          w[i] = (float) (r.nextDouble() * 2 - 1);
        }
        voices.add(new Voice(n, "builtin", w, 32, 10));
      }
      return new SynthesisModel(
          DEMO_NAME,
          tts,
          mimi,
          DemoModel.tokenizer(),
          VoiceLibrary.builtin(voices, DEMO_VOICES.get(0)),
          m,
          /* demo= */ true);
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e instanceof RuntimeException re
          ? re
          : new java.io.UncheckedIOException((IOException) e);
    }
  }

  /**
   * A copy of a TTS {@code config.json} without the {@code cfg} condition (dropped from the
   * conditioners and the fuser): a model not distilled for CFG, which gets classic guidance.
   */
  public static com.fasterxml.jackson.databind.JsonNode withoutCfgCondition(
      com.fasterxml.jackson.databind.JsonNode config) {
    com.fasterxml.jackson.databind.node.ObjectNode c =
        (com.fasterxml.jackson.databind.node.ObjectNode) config.deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) c.get("conditioners")).remove("cfg");
    for (com.fasterxml.jackson.databind.JsonNode list : c.get("fuser")) {
      if (list.isArray()) {
        var names = (com.fasterxml.jackson.databind.node.ArrayNode) list;
        for (int i = names.size() - 1; i >= 0; i--) {
          if (names.get(i).asText().equals("cfg")) {
            names.remove(i);
          }
        }
      }
    }
    return c;
  }

  /** The cached snapshot of {@code kyutai/tts-voices} (possibly empty), fetching others by name. */
  private static VoiceLibrary hubVoices(ModelResolver resolver, TtsConfig cfg, String defaultVoice)
      throws IOException {
    ModelReference repo = new ModelReference.HubRepository(VoiceLibrary.KYUTAI_VOICES_REPO, "main");
    String repoId = VoiceLibrary.KYUTAI_VOICES_REPO;
    Optional<String> commit = resolver.cache().commitOf(repoId, "main");
    Path snapshot = commit.map(c -> resolver.cache().snapshotDir(repoId, c)).orElse(null);
    return VoiceLibrary.folder(
        snapshot,
        cfg.voiceSuffix(),
        "hf:" + repoId,
        defaultVoice == null ? VoiceLibrary.KYUTAI_DEFAULT_VOICE : defaultVoice,
        file -> resolver.resolveOptional(repo, file));
  }

  public String name() {
    return name;
  }

  public TtsModel tts() {
    return tts;
  }

  public TtsConfig config() {
    return tts.config();
  }

  public MimiModel mimi() {
    return mimi;
  }

  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  public VoiceLibrary voices() {
    return voices;
  }

  public NDManager manager() {
    return manager;
  }

  /** One of the built-in random-weight models. */
  public boolean isDemo() {
    return demo;
  }

  @Override
  public void close() {
    tokenizer.close();
    manager.close();
  }
}
