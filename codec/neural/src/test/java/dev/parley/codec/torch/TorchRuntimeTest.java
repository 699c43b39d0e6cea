package dev.parley.codec.torch;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.util.Utils;
import org.junit.jupiter.api.Test;

class TorchRuntimeTest {

  @Test
  void libtorchLoadsOfflineFromTheClasspathAndComputes() {
    assertThat(TorchRuntime.engine().getEngineName()).isEqualTo("PyTorch");
    assertThat(TorchRuntime.engine().getVersion()).isEqualTo(TorchRuntime.PYTORCH_VERSION);
    assertThat(Utils.isOfflineMode()).isTrue();
    try (NDManager m = TorchRuntime.newManager()) {
      NDArray a = m.create(new float[] {1, 2, 3, 4, 5, 6}, new ai.djl.ndarray.types.Shape(2, 3));
      NDArray b =
          m.create(new float[] {1, 0, -1, 2, 0.5f, 0}, new ai.djl.ndarray.types.Shape(3, 2));
      // [[1,2,3],[4,5,6]] x [[1,0],[-1,2],[0.5,0]] = [[0.5,4],[2,10]], worked by hand
      assertThat(a.matMul(b).toFloatArray()).containsExactly(0.5f, 4f, 2f, 10f);
    }
  }

  @Test
  void aBuildWithoutLibtorchSaysWhatToSet(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.util.Map<String, String> env = new java.util.HashMap<>();
    assertThat(TorchRuntime.libtorchProblem(true, env::get)).isNull();
    assertThat(TorchRuntime.libtorchProblem(false, env::get))
        .contains("PYTORCH_LIBRARY_PATH", "PYTORCH_FLAVOR=cu128", "PYTORCH_VERSION=2.7.1", "-Dgpu");
    env.put("PYTORCH_LIBRARY_PATH", dir.toString());
    assertThat(TorchRuntime.libtorchProblem(false, env::get))
        .contains(dir + " holds no libtorch.so");
    java.nio.file.Files.createFile(dir.resolve("libtorch.so"));
    assertThat(TorchRuntime.libtorchProblem(false, env::get))
        .startsWith("PYTORCH_FLAVOR is not set");
    env.put("PYTORCH_FLAVOR", "cu128");
    assertThat(TorchRuntime.libtorchProblem(false, env::get)).isNull();
    // This (default) build bundles the CPU natives, so the real check finds them.
    assertThat(TorchRuntime.class.getClassLoader().getResource(TorchRuntime.BUNDLED_NATIVES))
        .isNotNull();
  }
}
