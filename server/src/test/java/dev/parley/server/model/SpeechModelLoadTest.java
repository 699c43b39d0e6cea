package dev.parley.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.testing.Golden;
import dev.parley.server.lm.LmOutput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model directory laid out as a Kyutai repo (config.json naming the LM weights, the Mimi weights
 * and config, and the tokenizer) loads into a {@link SpeechModel} that computes what the reference
 * computes.
 */
class SpeechModelLoadTest {
  @TempDir Path dir;

  private Path modelDir() throws Exception {
    ObjectNode config =
        (ObjectNode) new ObjectMapper().readTree(Golden.path("lm_tiny.config.json").toFile());
    config.put("model_type", "moshi");
    config.put("moshi_name", "lm.safetensors");
    config.put("mimi_name", "mimi.safetensors");
    config.put("mimi_config_name", "mimi.json");
    config.put("tokenizer_name", "tok.model");
    Files.writeString(dir.resolve("config.json"), config.toString());
    Files.copy(Golden.path("lm_tiny.safetensors"), dir.resolve("lm.safetensors"));
    Files.copy(Golden.path("mimi_tiny.safetensors"), dir.resolve("mimi.safetensors"));
    Files.copy(Golden.path("mimi_tiny.config.json"), dir.resolve("mimi.json"));
    Files.copy(Golden.path("tokenizer_tiny.model"), dir.resolve("tok.model"));
    return dir;
  }

  static ModelResolver offlineResolver(Path cache) {
    return ModelResolver.fromEnvironment(
        Environment.of(Map.of("HF_HUB_CACHE", cache.toString(), "HF_HUB_OFFLINE", "1")),
        DownloadProgress.NONE);
  }

  @Test
  void aLocalKyutaiLayoutLoadsAndComputesTheReference() throws Exception {
    Path model = modelDir();
    try (SpeechModel m =
            SpeechModel.load(
                ModelReference.parse(model.toString()),
                offlineResolver(dir.resolve("c")),
                Device.cpu(),
                DataType.FLOAT32);
        SafeTensorsFile fwd = Golden.open("lm_tiny.forward.safetensors");
        SafeTensorsFile io = Golden.open("mimi_tiny.io.safetensors");
        NDManager scope = m.manager().newSubManager()) {
      assertThat(m.tokenizer().vocabSize()).isEqualTo(64);
      // max(dep_q, n_q - dep_q) = 4 codebooks, as the reference's CheckpointInfo.get_mimi.
      assertThat(m.mimi().numCodebooks()).isEqualTo(4);
      LmOutput out = m.lm().forward(scope, fwd.longs("codes"), 2, 16);
      Golden.assertClose("text_logits", out.textLogits(), fwd.floats("text_logits"));
      float[] pcm = io.floats("pcm");
      long[] codes = m.mimi().encode(scope.create(pcm, new Shape(1, 1, pcm.length))).toLongArray();
      // The first 4 RVQ levels do not depend on how many levels follow.
      assertThat(codes).isEqualTo(Arrays.copyOf(io.longs("codes"), 4 * 30));
    }
  }

  @Test
  void aMissingFileIsNamedInTheError() throws Exception {
    Path model = modelDir();
    Files.delete(model.resolve("tok.model"));
    assertThatThrownBy(
            () ->
                SpeechModel.load(
                    ModelReference.parse(model.toString()),
                    offlineResolver(dir.resolve("c")),
                    Device.cpu(),
                    DataType.FLOAT32))
        .hasMessageContaining("tok.model");
  }

  @Test
  void wrongWeightsListEveryMismatch() throws Exception {
    Path model = modelDir();
    Files.copy(
        Golden.path("stt_tiny.safetensors"),
        model.resolve("lm.safetensors"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(
            () ->
                SpeechModel.load(
                    ModelReference.parse(model.toString()),
                    offlineResolver(dir.resolve("c")),
                    Device.cpu(),
                    DataType.FLOAT32))
        .hasMessageContaining("missing: depformer_in.0.weight")
        .hasMessageContaining("unexpected: extra_heads.0.weight");
  }

  @Test
  void theDemoModelBuildsWithoutFiles() {
    try (SpeechModel m =
        SpeechModel.load(
            new ModelReference.Demo(),
            offlineResolver(dir.resolve("none")),
            Device.cpu(),
            DataType.FLOAT32)) {
      assertThat(m.isDemo()).isTrue();
      assertThat(m.lm().config().depQ()).isEqualTo(8);
      assertThat(m.mimi().numCodebooks()).isEqualTo(8);
      assertThat(m.lm().config().card()).isEqualTo(m.mimi().config().quantizer().bins());
      assertThat(m.tokenizer().vocabSize()).isEqualTo(m.lm().config().textCard());
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void theTranscriptionDemoBuildsWithoutFiles() throws Exception {
    try (SpeechModel m =
        SpeechModel.load(
            ModelReference.parse("demo-stt"),
            offlineResolver(dir.resolve("none")),
            Device.cpu(),
            DataType.FLOAT32)) {
      assertThat(m.name()).isEqualTo("demo-stt");
      assertThat(m.isDemo()).isTrue();
      assertThat(m.modelType()).isEqualTo("stt");
      assertThat(m.lm().config().depQ()).isZero();
      assertThat(m.lm().config().extraHeadsNumHeads()).isPositive();
      assertThat(m.lm().config().inputStreams()).isLessThanOrEqualTo(m.mimi().numCodebooks());
      assertThat(m.config().sttConfig().path("audio_delay_seconds").asDouble()).isEqualTo(2.5);
    }
    try (SpeechModel m =
        SpeechModel.load(
            ModelReference.parse("demo"),
            offlineResolver(dir.resolve("none")),
            Device.cpu(),
            DataType.FLOAT32)) {
      assertThat(m.modelType()).isEqualTo("moshi");
    }
  }

  @Test
  void theDemoModelsHaveNoCheckpoint() {
    assertThatThrownBy(
            () ->
                KyutaiCheckpoint.resolve(
                    offlineResolver(dir.resolve("none")), ModelReference.parse("demo-stt")))
        .hasMessageContaining("demo-stt model is built in memory");
  }
}
