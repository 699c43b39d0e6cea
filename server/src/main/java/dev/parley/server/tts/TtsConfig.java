package dev.parley.server.tts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.server.lm.LmConfig;
import dev.parley.server.model.KyutaiModelConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Delayed-Streams-Modeling TTS model's configuration: the LM architecture (with cross-attention
 * and the demuxed second text stream), its conditioners and fuser, and {@code tts_config} ({@code
 * audio_delay} seconds of text lead, {@code second_stream_ahead}, {@code multistream}, {@code
 * max_speakers}) as {@code TTSModel.from_checkpoint_info} reads them.
 *
 * @param conditioners in config order (the reference's {@code ModuleDict} order)
 * @param voiceSuffix {@code .<sig>@<epoch>.safetensors} naming the model's voice files, or null
 */
public record TtsConfig(
    LmConfig lm,
    Map<String, ConditionerConfig> conditioners,
    FuserConfig fuser,
    double audioDelay,
    int secondStreamAhead,
    boolean multistream,
    int maxSpeakers,
    String voiceSuffix) {

  public static final int DEFAULT_MAX_SPEAKERS = 5;

  /** Mimi's frame rate: steps per second. */
  public static final double FRAME_RATE = ModelAudio.FRAME_RATE;

  public TtsConfig {
    conditioners = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(conditioners));
    List<String> used = new ArrayList<>(fuser.sum());
    used.addAll(fuser.cross());
    for (String n : used) {
      if (!conditioners.containsKey(n)) {
        throw new IllegalArgumentException(
            "fuser names condition '" + n + "' but there is no such conditioner");
      }
    }
    for (String n : fuser.cross()) {
      if (!lm.crossAttention()) {
        throw new IllegalArgumentException(
            "fuser has cross condition '" + n + "' but cross_attention is false");
      }
    }
    if (lm.crossAttention() && fuser.cross().isEmpty()) {
      throw new IllegalArgumentException(
          "cross_attention is true but the fuser has no cross condition");
    }
    if (secondStreamAhead > 0 && !lm.demuxSecondTextStream()) {
      throw new IllegalArgumentException("second_stream_ahead needs demux_second_stream");
    }
  }

  /** Steps the text leads the audio: {@code int(audio_delay · frame_rate)}. */
  public int delaySteps() {
    return (int) (audioDelay * FRAME_RATE);
  }

  /** Text cardinality including the initial token: the mux base of the two text streams. */
  public int textCard() {
    return lm.textCard() + 1;
  }

  /** The model has a {@code speaker_wavs} conditioner (voices by embedding, several speakers). */
  public boolean multiSpeaker() {
    return conditioners.containsKey("speaker_wavs");
  }

  /** Values of the {@code cfg} LUT for CFG-distilled models (empty when the model has none). */
  public List<String> validCfgValues() {
    ConditionerConfig c = conditioners.get("cfg");
    return c == null || c.possibleValues() == null ? List.of() : c.possibleValues();
  }

  /** A whole {@code config.json} (architecture, tts_config and model_id in one file). */
  public static TtsConfig fromJson(Path configJson) throws IOException {
    return from(KyutaiModelConfig.read(configJson));
  }

  public static TtsConfig from(KyutaiModelConfig c) {
    JsonNode lm =
        c.lmConfig()
            .orElseThrow(() -> new IllegalArgumentException("a TTS model needs a config.json"));
    String suffix = null;
    JsonNode id = c.modelId();
    if (id.hasNonNull("sig") && id.hasNonNull("epoch")) {
      suffix = "." + id.get("sig").asText() + "@" + id.get("epoch").asText() + ".safetensors";
    }
    return from(lm, c.ttsConfig(), suffix);
  }

  /** The LM part ({@code lm}: every architecture key) and {@code tts_config}. */
  public static TtsConfig from(JsonNode lm, JsonNode tts, String voiceSuffix) {
    LmConfig lmConfig = LmConfig.fromJson(lm);
    Map<String, ConditionerConfig> conds = new LinkedHashMap<>();
    JsonNode cs = lm.path("conditioners");
    if (cs.isObject()) {
      for (Map.Entry<String, JsonNode> e : cs.properties()) {
        conds.put(e.getKey(), ConditionerConfig.parse(e.getKey(), e.getValue(), lmConfig.dim()));
      }
    }
    FuserConfig fuser =
        lm.path("fuser").isObject()
            ? FuserConfig.parse(lm.get("fuser"))
            : new FuserConfig(List.of(), List.of(), /* crossAttentionPosEmb= */ false, 1.0);
    if (!tts.hasNonNull("audio_delay")) {
      throw new IllegalArgumentException("tts_config has no audio_delay");
    }
    return new TtsConfig(
        lmConfig,
        conds,
        fuser,
        tts.get("audio_delay").asDouble(),
        tts.path("second_stream_ahead").asInt(0),
        tts.path("multistream").asBoolean(false),
        tts.path("max_speakers").asInt(DEFAULT_MAX_SPEAKERS),
        voiceSuffix);
  }
}
