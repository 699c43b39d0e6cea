package dev.parley.server.persona;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.server.lm.LmConfig;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What a PersonaPlex checkpoint adds to the LM config: the fixed Mimi codes it was trained to read
 * as "silence" (the agent's stream during prompts) and "sine" (the user's stream during prompts),
 * the text token fed while audio is forced, the silence length between prompt phases, the voice
 * prompt's loudness target and the token cache width of its generator. Read from the config's
 * {@code personaplex} object; every key defaults to the released 7B model's value.
 */
public record PersonaPlexConfig(
    long[] silenceTokens,
    long[] sineTokens,
    long zeroTextCode,
    int silenceFrames,
    double targetLufs,
    int sampleRate,
    int frameSize,
    int cacheColumns) {

  /** The model's own audio stream (the agent) and the user's: 8 codebooks each. */
  public static final int AUDIO_TOKENS_PER_STREAM = 8;

  private static final long[] SILENCE_7B = {948, 243, 1178, 546, 1736, 1030, 1978, 2008};
  private static final long[] SINE_7B = {430, 1268, 381, 1611, 1095, 1495, 56, 472};

  public PersonaPlexConfig {
    if (silenceTokens.length != AUDIO_TOKENS_PER_STREAM
        || sineTokens.length != AUDIO_TOKENS_PER_STREAM) {
      throw new IllegalArgumentException(
          "silence_tokens and sine_tokens need " + AUDIO_TOKENS_PER_STREAM + " codes each");
    }
  }

  /** Whether a config JSON describes a PersonaPlex checkpoint. */
  public static boolean isPersonaPlex(JsonNode lmConfig) {
    return lmConfig.hasNonNull("personaplex");
  }

  public static PersonaPlexConfig fromJson(Path file, LmConfig lm) throws IOException {
    return fromJson(new ObjectMapper().readTree(file.toFile()), lm);
  }

  /**
   * Reads the {@code personaplex} object of an LM config and checks the LM has the shape the fork
   * hard-codes (8 agent + 8 user streams, all 16 predicted by the depformer).
   */
  public static PersonaPlexConfig fromJson(JsonNode lmConfig, LmConfig lm) {
    if (lm.nQ() != 2 * AUDIO_TOKENS_PER_STREAM || lm.depQ() != 2 * AUDIO_TOKENS_PER_STREAM) {
      throw new IllegalArgumentException(
          "a PersonaPlex LM has n_q = dep_q = 16, got n_q " + lm.nQ() + ", dep_q " + lm.depQ());
    }
    JsonNode p = lmConfig.path("personaplex");
    double frameRate = p.path("frame_rate").asDouble(12.5);
    int sampleRate = p.path("sample_rate").asInt(24000);
    return new PersonaPlexConfig(
        longs(p.get("silence_tokens"), SILENCE_7B),
        longs(p.get("sine_tokens"), SINE_7B),
        p.path("zero_text_code").asLong(3),
        p.path("audio_silence_frame_cnt").asInt((int) (0.5 * frameRate)),
        p.path("voice_prompt_target_lufs").asDouble(-24.0),
        sampleRate,
        p.path("frame_size").asInt((int) (sampleRate / frameRate)),
        p.path("cache_columns").asInt(lm.maxDelay() + 3));
  }

  private static long[] longs(JsonNode n, long[] dflt) {
    if (n == null || n.isNull()) {
      return dflt.clone();
    }
    long[] v = new long[n.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = n.get(i).asLong();
    }
    return v;
  }
}
