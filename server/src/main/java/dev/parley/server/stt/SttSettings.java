package dev.parley.server.stt;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.model.SpeechModel;

/**
 * How a transcription model is driven, from its {@code stt_config}: the silence fed before the
 * client's audio, the text's lag behind the audio, and what follows from them in 80 ms frames. The
 * defaults when a key is missing (1.0 s and 5.0 s) are those of the reference driver {@code
 * stt_from_file_pytorch.py}.
 *
 * @param silencePrefixSeconds {@code audio_silence_prefix_seconds}
 * @param audioDelaySeconds {@code audio_delay_seconds}: how far the text lags the audio
 * @param frameRate model steps per second (12.5)
 * @param prefixFrames silent frames fed at session start: {@code ceil(prefix · frameRate)}
 * @param delayFrames the lag in steps, and the silent frames fed after the end of input so the last
 *     words come out: {@code ceil(delay · frameRate)}
 * @param offsetSeconds subtracted from model-step times to get times in the client's audio (the
 *     reference's {@code int(prefixFrames / frameRate) + delay})
 */
public record SttSettings(
    double silencePrefixSeconds,
    double audioDelaySeconds,
    double frameRate,
    int prefixFrames,
    int delayFrames,
    double offsetSeconds) {
  public static final double DEFAULT_SILENCE_PREFIX_SECONDS = 1.0;
  public static final double DEFAULT_AUDIO_DELAY_SECONDS = 5.0;

  /** Settings from the prefix and delay in seconds. */
  public static SttSettings of(
      double silencePrefixSeconds, double audioDelaySeconds, double frameRate) {
    if (!(silencePrefixSeconds >= 0)
        || !(audioDelaySeconds >= 0)
        || !(frameRate > 0)
        || silencePrefixSeconds > 60
        || audioDelaySeconds > 60) {
      throw new IllegalArgumentException(
          "invalid stt_config: audio_silence_prefix_seconds "
              + silencePrefixSeconds
              + ", audio_delay_seconds "
              + audioDelaySeconds
              + " (each must be 0..60 s)");
    }
    int prefix = (int) Math.ceil(silencePrefixSeconds * frameRate);
    int delay = (int) Math.ceil(audioDelaySeconds * frameRate);
    return new SttSettings(
        silencePrefixSeconds,
        audioDelaySeconds,
        frameRate,
        prefix,
        delay,
        WordAssembler.referenceOffsetSeconds(prefix, frameRate, audioDelaySeconds));
  }

  /** The settings of a loaded model (its {@code stt_config}, its Mimi's frame rate). */
  public static SttSettings of(SpeechModel model) {
    JsonNode stt = model.config().sttConfig();
    return of(
        number(stt, "audio_silence_prefix_seconds", DEFAULT_SILENCE_PREFIX_SECONDS),
        number(stt, "audio_delay_seconds", DEFAULT_AUDIO_DELAY_SECONDS),
        model.mimi().config().frameRate());
  }

  private static double number(JsonNode o, String key, double fallback) {
    JsonNode v = o.get(key);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isNumber()) {
      throw new IllegalArgumentException("stt_config." + key + " must be a number, got " + v);
    }
    return v.asDouble();
  }
}
