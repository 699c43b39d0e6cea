package dev.parley.codec.mimi;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.nn.ShapeRecorder;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.torch.TorchRuntime;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The released Mimi architecture asks for exactly the tensors of the real checkpoint: {@code
 * manifest_mimi.json} was made by instantiating the reference {@code get_mimi} and listing {@code
 * tokenizer-e351c8d8-checkpoint125.safetensors} (318 tensors, 96,151,393 values).
 */
class MimiManifestTest {

  @Test
  void kyutaiConfigurationRequestsExactlyTheCheckpointTensors() throws Exception {
    JsonNode manifest = new ObjectMapper().readTree(Golden.path("manifest_mimi.json").toFile());
    Map<String, String> expected = new TreeMap<>();
    manifest
        .get("checkpoint_keys")
        .fields()
        .forEachRemaining(
            e -> {
              assertThat(e.getValue().get("dtype").asText()).isEqualTo("F32");
              expected.put(e.getKey(), e.getValue().get("shape").toString());
            });
    assertThat(expected).hasSize(manifest.get("num_tensors").asInt()).hasSize(318);

    try (NDManager m = TorchRuntime.newManager()) {
      ShapeRecorder recorder = new ShapeRecorder(m);
      new MimiModel(MimiConfig.kyutai(), recorder, DataType.FLOAT32);
      Map<String, String> actual = new TreeMap<>();
      long values = 0;
      for (Map.Entry<String, long[]> e : recorder.shapes().entrySet()) {
        StringBuilder s = new StringBuilder("[");
        long n = 1;
        for (int i = 0; i < e.getValue().length; i++) {
          s.append(i == 0 ? "" : ",").append(e.getValue()[i]);
          n *= e.getValue()[i];
        }
        actual.put(e.getKey(), s.append(']').toString());
        values += n;
      }
      assertThat(actual.keySet()).as("names").containsExactlyElementsOf(expected.keySet());
      assertThat(actual).as("shapes").isEqualTo(expected);
      assertThat(values).isEqualTo(manifest.get("num_elements").asLong()).isEqualTo(96_151_393L);
    }
  }

  @Test
  void kyutaiConfigurationMatchesTheManifestConfig() throws Exception {
    JsonNode manifest = new ObjectMapper().readTree(Golden.path("manifest_mimi.json").toFile());
    // the manifest's config is in the golden config-file layout: parsing it must give kyutai()
    MimiConfig parsed = MimiConfig.fromJson(manifest.get("config"));
    MimiConfig k = MimiConfig.kyutai();
    assertThat(parsed.transformer()).usingRecursiveComparison().isEqualTo(k.transformer());
    assertThat(parsed.quantizer()).isEqualTo(k.quantizer());
    assertThat(parsed.seanet()).usingRecursiveComparison().isEqualTo(k.seanet());
    assertThat(parsed.sampleRate()).isEqualTo(24000);
    assertThat(parsed.frameSize()).isEqualTo(1920);
    assertThat(k.numCodebooks()).isEqualTo(manifest.get("num_codebooks_default").asInt());
  }
}
