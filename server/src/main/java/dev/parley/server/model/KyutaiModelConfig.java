package dev.parley.server.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A Kyutai repository's {@code config.json}, split the way moshi's {@code
 * CheckpointInfo.from_hf_repo} splits it: the file names and the model_type / lm_gen_config /
 * stt_config / tts_config / model_id sections are taken out, and every other key is the LM's
 * architecture ({@link #lmConfig()}). A repository without config.json is a Moshi 7B ({@link
 * #defaults()}).
 */
public final class KyutaiModelConfig {
  public static final String CONFIG_FILE = "config.json";
  public static final String DEFAULT_MOSHI_NAME = "model.safetensors";
  public static final String DEFAULT_MIMI_NAME = "tokenizer-e351c8d8-checkpoint125.safetensors";
  public static final String DEFAULT_TOKENIZER_NAME = "tokenizer_spm_32k_3.model";
  public static final String DEFAULT_MODEL_TYPE = "moshi";

  /** Mimi codebooks of the released Moshi 7B, and what the reference uses without an LM config. */
  public static final int DEFAULT_NUM_CODEBOOKS = 8;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String moshiName;
  private final String mimiName;
  private final Optional<String> mimiConfigName;
  private final String tokenizerName;
  private final Optional<String> loraName;
  private final String modelType;
  private final ObjectNode lmGenConfig;
  private final ObjectNode sttConfig;
  private final ObjectNode ttsConfig;
  private final ObjectNode modelId;
  private final Optional<ObjectNode> lmConfig;

  private KyutaiModelConfig(
      String moshiName,
      String mimiName,
      Optional<String> mimiConfigName,
      String tokenizerName,
      Optional<String> loraName,
      String modelType,
      ObjectNode lmGenConfig,
      ObjectNode sttConfig,
      ObjectNode ttsConfig,
      ObjectNode modelId,
      Optional<ObjectNode> lmConfig) {
    this.moshiName = moshiName;
    this.mimiName = mimiName;
    this.mimiConfigName = mimiConfigName;
    this.tokenizerName = tokenizerName;
    this.loraName = loraName;
    this.modelType = modelType;
    this.lmGenConfig = lmGenConfig;
    this.sttConfig = sttConfig;
    this.ttsConfig = ttsConfig;
    this.modelId = modelId;
    this.lmConfig = lmConfig;
  }

  /** What the reference assumes for a repository without config.json: Moshi 7B. */
  public static KyutaiModelConfig defaults() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    return new KyutaiModelConfig(
        DEFAULT_MOSHI_NAME,
        DEFAULT_MIMI_NAME,
        Optional.empty(),
        DEFAULT_TOKENIZER_NAME,
        Optional.empty(),
        DEFAULT_MODEL_TYPE,
        f.objectNode(),
        f.objectNode(),
        f.objectNode(),
        f.objectNode(),
        Optional.empty());
  }

  public static KyutaiModelConfig read(Path configJson) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(configJson.toFile());
    } catch (IOException e) {
      throw new IOException(configJson + " is not valid JSON: " + e.getMessage(), e);
    }
    try {
      return parse(root);
    } catch (IllegalArgumentException e) {
      throw new IOException(configJson + ": " + e.getMessage(), e);
    }
  }

  public static KyutaiModelConfig parse(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("config.json must hold a JSON object");
    }
    ObjectNode lm = ((ObjectNode) root).deepCopy();
    return new KyutaiModelConfig(
        popString(lm, "moshi_name").orElse(DEFAULT_MOSHI_NAME),
        popString(lm, "mimi_name").orElse(DEFAULT_MIMI_NAME),
        popString(lm, "mimi_config_name"),
        popString(lm, "tokenizer_name").orElse(DEFAULT_TOKENIZER_NAME),
        popString(lm, "lora_name"),
        popString(lm, "model_type").orElse(DEFAULT_MODEL_TYPE),
        popObject(lm, "lm_gen_config"),
        popObject(lm, "stt_config"),
        popObject(lm, "tts_config"),
        popObject(lm, "model_id"),
        Optional.of(lm));
  }

  private static Optional<String> popString(ObjectNode o, String key) {
    JsonNode v = o.remove(key);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isTextual() || v.asText().isEmpty()) {
      throw new IllegalArgumentException(key + " must be a non-empty string, got " + v);
    }
    return Optional.of(v.asText());
  }

  private static ObjectNode popObject(ObjectNode o, String key) {
    JsonNode v = o.remove(key);
    if (v == null || v.isNull()) {
      return JsonNodeFactory.instance.objectNode();
    }
    if (!v.isObject()) {
      throw new IllegalArgumentException(key + " must be a JSON object, got " + v);
    }
    return (ObjectNode) v;
  }

  /** The LM weights ({@code moshi_name}); may be an {@code hf://} or {@code file://} reference. */
  public String moshiName() {
    return moshiName;
  }

  /** The Mimi codec weights ({@code mimi_name}). */
  public String mimiName() {
    return mimiName;
  }

  /**
   * A JSON file overriding Mimi's architecture ({@code mimi_config_name}), if the model has one.
   */
  public Optional<String> mimiConfigName() {
    return mimiConfigName;
  }

  /** The SentencePiece text tokenizer ({@code tokenizer_name}). */
  public String tokenizerName() {
    return tokenizerName;
  }

  /** LoRA weights to merge into the LM ({@code lora_name}), if any. */
  public Optional<String> loraName() {
    return loraName;
  }

  /** "moshi", "hibiki", "stt", "tts", ...: what the model is for. */
  public String modelType() {
    return modelType;
  }

  /**
   * Default generation settings ({@code temp}, {@code top_k}, ...); empty when the repo gives none.
   */
  public ObjectNode lmGenConfig() {
    return lmGenConfig.deepCopy();
  }

  /** {@code audio_delay_seconds}, {@code audio_silence_prefix_seconds} of speech-to-text models. */
  public ObjectNode sttConfig() {
    return sttConfig.deepCopy();
  }

  /**
   * {@code audio_delay}, {@code second_stream_ahead}, {@code multistream}, {@code max_speakers} of
   * TTS models.
   */
  public ObjectNode ttsConfig() {
    return ttsConfig.deepCopy();
  }

  /** {@code sig} and {@code epoch}, which name the matching voice files of a TTS model. */
  public ObjectNode modelId() {
    return modelId.deepCopy();
  }

  /**
   * The LM architecture keys (dim, n_q, dep_q, delays, depformer_*, ...). Empty when the repository
   * has no config.json, which means the Moshi 7B architecture.
   */
  public Optional<ObjectNode> lmConfig() {
    return lmConfig.map(ObjectNode::deepCopy);
  }

  /** The files the model needs, in the order weights, Mimi, tokenizer, then the optional ones. */
  public List<String> requiredFiles() {
    List<String> files = new ArrayList<>(List.of(moshiName, mimiName, tokenizerName));
    mimiConfigName.ifPresent(files::add);
    loraName.ifPresent(files::add);
    return List.copyOf(files);
  }

  /**
   * How many Mimi codebooks the model reads and writes (moshi {@code CheckpointInfo.get_mimi}):
   * {@code max(dep_q, n_q - dep_q)} (the larger of its generated and its input audio streams),
   * halved for multistream TTS, where one model's streams hold two speakers.
   */
  public int numCodebooks() {
    int n = DEFAULT_NUM_CODEBOOKS;
    if (lmConfig.isPresent()
        && lmConfig.get().hasNonNull("dep_q")
        && lmConfig.get().hasNonNull("n_q")) {
      int depQ = lmConfig.get().get("dep_q").asInt();
      int nQ = lmConfig.get().get("n_q").asInt();
      n = Math.max(depQ, nQ - depQ);
      if (lmConfig.get().hasNonNull("personaplex")) {
        // PersonaPlex's 16 streams are 8 agent + 8 user codebooks (its loader sets 8).
        n = n / 2;
      }
    }
    if (ttsConfig.path("multistream").asBoolean(false)) {
      n /= 2;
    }
    return n;
  }

  @Override
  public String toString() {
    return "KyutaiModelConfig{model_type="
        + modelType
        + ", moshi="
        + moshiName
        + ", mimi="
        + mimiName
        + mimiConfigName.map(m -> ", mimi_config=" + m).orElse("")
        + ", tokenizer="
        + tokenizerName
        + loraName.map(l -> ", lora=" + l).orElse("")
        + (lmConfig.isPresent() ? "" : ", Moshi 7B defaults")
        + "}";
  }
}
