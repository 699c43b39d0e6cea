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
}
