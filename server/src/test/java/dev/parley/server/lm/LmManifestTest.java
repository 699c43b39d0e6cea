package dev.parley.server.lm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.nn.ShapeRecorder;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.torch.TorchRuntime;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The built-in Moshi 7B configuration asks for exactly the real checkpoint's tensors. */
class LmManifestTest {

  @Test
  void moshi7bConstructsExactlyTheCheckpointTensors() throws IOException {
    JsonNode manifest = new ObjectMapper().readTree(Golden.path("manifest_moshi_7b.json").toFile());
    Map<String, String> expected = new TreeMap<>();
    manifest
        .get("checkpoint_keys")
        .fields()
        .forEachRemaining(
            e -> expected.put(e.getKey(), e.getValue().get("shape").toString().replace(" ", "")));
    assertThat(expected).hasSize(355);
    try (NDManager m = TorchRuntime.newManager()) {
      ShapeRecorder recorder = new ShapeRecorder(m);
      new LmModel(LmConfig.moshi7b(), recorder, DataType.FLOAT32);
      Map<String, String> actual = new TreeMap<>();
      long values = 0;
      for (Map.Entry<String, long[]> e : recorder.shapes().entrySet()) {
        StringBuilder s = new StringBuilder("[");
        long n = 1;
        for (int i = 0; i < e.getValue().length; i++) {
          s.append(i > 0 ? "," : "").append(e.getValue()[i]);
          n *= e.getValue()[i];
        }
        values += n;
        actual.put(e.getKey(), s.append(']').toString());
      }
      assertThat(actual).isEqualTo(expected);
      assertThat(values).isEqualTo(manifest.get("num_elements").asLong());
    }
  }
}
