package dev.parley.server.persona;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.testing.Golden;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ApiKeys;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DownloadProgress;
import dev.parley.server.model.Environment;
import dev.parley.server.model.ModelReference;
import dev.parley.server.model.ModelResolver;
import dev.parley.server.model.SpeechModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** The golden tiny PersonaPlex model laid out as a local checkpoint folder, for engine tests. */
public final class PersonaPlexTiny {
  private PersonaPlexTiny() {}

  /** Writes config.json and the weights into {@code dir}; returns it. */
  public static Path checkpoint(Path dir) throws IOException {
    ObjectNode config =
        (ObjectNode)
            new ObjectMapper().readTree(Golden.path("personaplex_tiny.config.json").toFile());
    config.put("model_type", "moshi");
    config.put("moshi_name", "lm.safetensors");
    config.put("mimi_name", "mimi.safetensors");
    config.put("mimi_config_name", "mimi.json");
    config.put("tokenizer_name", "tok.model");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), config.toString());
    Files.copy(Golden.path("personaplex_tiny.safetensors"), dir.resolve("lm.safetensors"));
    Files.copy(Golden.path("mimi_tiny.safetensors"), dir.resolve("mimi.safetensors"));
    Files.copy(Golden.path("mimi_tiny.config.json"), dir.resolve("mimi.json"));
    Files.copy(Golden.path("tokenizer_tiny.model"), dir.resolve("tok.model"));
    return dir;
  }

  public static SpeechModel load(Path dir) throws IOException {
    Path ckpt = checkpoint(dir.resolve("personaplex"));
    return SpeechModel.load(
        ModelReference.parse(ckpt.toString()),
        ModelResolver.fromEnvironment(
            Environment.of(
                Map.of("HF_HUB_CACHE", dir.resolve("hub").toString(), "HF_HUB_OFFLINE", "1")),
            DownloadProgress.NONE),
        Device.cpu(),
        DataType.FLOAT32);
  }

  /**
   * A started server for {@code model} on loopback (ephemeral HTTP and gRPC ports, 2 sessions) that
   * takes the one API key {@code key}; the caller closes it.
   */
  public static ParleyServer serve(SpeechModel model, String key) throws Exception {
    return new ParleyServer(
            model,
            ServerConfig.builder()
                .host("127.0.0.1")
                .port(0)
                .grpcPort(0)
                .maxSessions(2)
                .apiKeys(new ApiKeys(Set.of(key)))
                .build())
        .start();
  }

  /** The golden voice prompt (espeak-ng speech, 24 kHz, 0.74 s). */
  public static float[] voice() throws IOException {
    try (SafeTensorsFile f = Golden.open("personaplex_tiny.gen.safetensors")) {
      return f.floats("voice_pcm_raw");
    }
  }

  /** The golden user audio (1920 samples a frame). */
  public static float[] userAudio(int frames) throws IOException {
    try (SafeTensorsFile f = Golden.open("mimi_tiny.io.safetensors")) {
      float[] pcm = f.floats("pcm");
      return java.util.Arrays.copyOf(pcm, frames * 1920);
    }
  }
}
