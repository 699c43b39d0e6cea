package dev.parley.codec.mimi;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.torch.TorchRuntime;
import org.junit.jupiter.api.Test;

/** Resetting slots (every new session of a server does) leaves no tensor behind. */
class MimiStreamsResetTest {
  @Test
  void resetsCreateNoLastingArrays() throws Exception {
    try (NDManager root = TorchRuntime.newManager()) {
      MimiModel mimi =
          MimiModel.load(
              Golden.path("mimi_tiny.safetensors"),
              MimiConfig.fromJson(Golden.path("mimi_tiny.config.json")),
              root,
              DataType.FLOAT32);
      try (MimiStreams s = mimi.newStreams(root, 3)) {
        int before = root.getManagedArrays().size();
        for (int i = 0; i < 50; i++) {
          s.reset(i % 3);
          s.resetEncoder((i + 1) % 3);
          s.resetDecoder((i + 2) % 3);
        }
        assertThat(root.getManagedArrays().size()).isEqualTo(before);
      }
    }
  }
}
