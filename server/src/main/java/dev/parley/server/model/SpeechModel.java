package dev.parley.server.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.parley.codec.mimi.MimiConfig;
import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.torch.TorchRuntime;
import dev.parley.server.lm.LmConfig;
import dev.parley.server.lm.LmModel;
import dev.parley.server.persona.PersonaPlexConfig;
import dev.parley.server.persona.PersonaPlexWeights;
import dev.parley.server.text.TextTokenizer;
import java.io.IOException;

/**
 * Everything one loaded model needs at run time: the Mimi codec, the LM, the text tokenizer and the
 * checkpoint's settings. Owns the native memory of all weights.
 */
public final class SpeechModel implements AutoCloseable {
  private final String name;
  private final KyutaiModelConfig config;
  private final MimiModel mimi;
  private final LmModel lm;
  private final TextTokenizer tokenizer;
  private final NDManager manager;
  private final PersonaPlexConfig personaPlex; // null unless a PersonaPlex checkpoint

  SpeechModel(
      String name,
      KyutaiModelConfig config,
      MimiModel mimi,
      LmModel lm,
      TextTokenizer tokenizer,
      NDManager manager) {
    this(name, config, mimi, lm, tokenizer, manager, null);
  }

  SpeechModel(
      String name,
      KyutaiModelConfig config,
      MimiModel mimi,
      LmModel lm,
      TextTokenizer tokenizer,
      NDManager manager,
      PersonaPlexConfig personaPlex) {
    this.personaPlex = personaPlex;
    this.name = name;
    this.config = config;
    this.mimi = mimi;
    this.lm = lm;
    this.tokenizer = tokenizer;
    this.manager = manager;
    if (lm.config().card() != mimi.config().quantizer().bins()) {
      throw new IllegalArgumentException(
          "LM card " + lm.config().card() + " != Mimi bins " + mimi.config().quantizer().bins());
    }
  }

  /**
   * Resolves (and if needed downloads) the model's files and loads them on {@code device}. {@code
   * demo} and {@code demo-stt} build the in-memory demo models instead.
   */
  public static SpeechModel load(
      ModelReference reference, ModelResolver resolver, Device device, DataType lmType)
      throws IOException {
    if (reference instanceof ModelReference.Demo demo) {
      return demo.isStt() ? DemoModel.buildStt(device) : DemoModel.build(device);
    }
    KyutaiCheckpoint ckpt = KyutaiCheckpoint.resolve(resolver, reference);
    KyutaiModelConfig cfg = ckpt.config();
    LmConfig lmConfig = cfg.lmConfig().map(LmConfig::fromJson).orElseGet(LmConfig::moshi7b);
    PersonaPlexConfig persona =
        cfg.lmConfig()
            .filter(PersonaPlexConfig::isPersonaPlex)
            .map(j -> PersonaPlexConfig.fromJson(j, lmConfig))
            .orElse(null);
    MimiConfig mimiConfig = ckpt.codecConfig();
    NDManager m = TorchRuntime.newManager(device);
    try {
      MimiModel mimi = MimiModel.load(ckpt.mimiWeights(), mimiConfig, m, DataType.FLOAT32);
      LmModel lm =
          persona != null
              ? PersonaPlexWeights.load(ckpt.moshiWeights(), lmConfig, m, lmType).model()
              : LmModel.load(ckpt.moshiWeights(), lmConfig, m, lmType);
      TextTokenizer tok = TextTokenizer.load(ckpt.tokenizer());
      return new SpeechModel(reference.toString(), cfg, mimi, lm, tok, m, persona);
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e;
    }
  }

  public String name() {
    return name;
  }

  public KyutaiModelConfig config() {
    return config;
  }

  /** {@code moshi} (dialogue), {@code stt}, {@code tts}, {@code hibiki}, ... */
  public String modelType() {
    return config.modelType();
  }

  /** Whether this is one of the built-in random-weight models ({@code demo}, {@code demo-stt}). */
  public boolean isDemo() {
    return ModelReference.Demo.isDemoName(name);
  }

  public MimiModel mimi() {
    return mimi;
  }

  /** The prompt settings of a PersonaPlex checkpoint; empty for every other model. */
  public java.util.Optional<PersonaPlexConfig> personaPlex() {
    return java.util.Optional.ofNullable(personaPlex);
  }

  public LmModel lm() {
    return lm;
  }

  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  public NDManager manager() {
    return manager;
  }

  @Override
  public void close() {
    tokenizer.close();
    manager.close();
  }
}
