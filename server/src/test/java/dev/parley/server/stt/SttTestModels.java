package dev.parley.server.stt;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.wav.WavReader;
import dev.parley.server.model.DownloadProgress;
import dev.parley.server.model.Environment;
import dev.parley.server.model.ModelReference;
import dev.parley.server.model.ModelResolver;
import dev.parley.server.model.SpeechModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Models and audio for the transcription tests. */
public final class SttTestModels {
  private SttTestModels() {}

  /**
   * The golden {@code stt_tiny} model laid out as a Kyutai STT repository, with the settings the
   * golden word-timestamp run used ({@code stt_config} of stt-2.6b-en: 1.0 s prefix, 2.5 s delay).
   */
  public static SpeechModel goldenModel(Path dir) throws Exception {
    ObjectNode config =
        (ObjectNode) new ObjectMapper().readTree(Golden.path("stt_tiny.config.json").toFile());
    config.put("model_type", "stt");
    config
        .putObject("stt_config")
        .put("audio_silence_prefix_seconds", 1.0)
        .put("audio_delay_seconds", 2.5);
    config.put("moshi_name", "stt.safetensors");
    config.put("mimi_name", "mimi.safetensors");
    config.put("mimi_config_name", "mimi.json");
    config.put("tokenizer_name", "tok.model");
    Path model = Files.createDirectories(dir.resolve("stt-tiny"));
    Files.writeString(model.resolve("config.json"), config.toString());
    Files.copy(Golden.path("stt_tiny.safetensors"), model.resolve("stt.safetensors"));
    Files.copy(Golden.path("mimi_tiny.safetensors"), model.resolve("mimi.safetensors"));
    Files.copy(Golden.path("mimi_tiny.config.json"), model.resolve("mimi.json"));
    Files.copy(Golden.path("tokenizer_tiny.model"), model.resolve("tok.model"));
    ModelResolver offline =
        ModelResolver.fromEnvironment(
            Environment.of(
                Map.of("HF_HUB_CACHE", dir.resolve("cache").toString(), "HF_HUB_OFFLINE", "1")),
            DownloadProgress.NONE);
    return SpeechModel.load(
        ModelReference.parse(model.toString()), offline, Device.cpu(), DataType.FLOAT32);
  }

  /** The golden speech: 2.4 s (27 frames of espeak-ng speech, 3 of a sine) at 24 kHz. */
  public static float[] goldenPcm() throws Exception {
    try (var f = Golden.open("mimi_tiny.io.safetensors")) {
      return f.floats("pcm");
    }
  }

  /**
   * Several seconds of English speech at 24 kHz from espeak-ng and sox when they are installed,
   * else the golden speech repeated.
   */
  public static float[] speech(Path dir) throws Exception {
    if (ExternalTools.onPath("espeak-ng") && ExternalTools.onPath("sox")) {
      Path wav =
          ExternalTools.speechWav(
              dir,
              "The robot sings a quiet song. Streaming speech recognition "
                  + "turns every frame of audio into words while the speaker is still talking.",
              24000);
      return WavReader.read(wav).samples();
    }
    float[] g = goldenPcm();
    float[] out = new float[g.length * 3];
    for (int i = 0; i < 3; i++) {
      System.arraycopy(g, 0, out, i * g.length, g.length);
    }
    return out;
  }
}
