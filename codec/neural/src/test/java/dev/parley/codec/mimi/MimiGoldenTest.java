package dev.parley.codec.mimi;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.parley.codec.nn.ExecMask;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.torch.TorchRuntime;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tiny random-weight Mimi against tensors produced by the reference PyTorch code. */
class MimiGoldenTest {
  static NDManager manager;
  static MimiModel mimi;
  static SafeTensorsFile io;
  static float[] pcm;

  @BeforeAll
  static void load() throws IOException {
    manager = TorchRuntime.newManager();
    MimiConfig config = MimiConfig.fromJson(Golden.path("mimi_tiny.config.json"));
    mimi = MimiModel.load(Golden.path("mimi_tiny.safetensors"), config, manager, DataType.FLOAT32);
    io = Golden.open("mimi_tiny.io.safetensors");
    pcm = io.floats("pcm");
  }

  @AfterAll
  static void close() throws IOException {
    io.close();
    manager.close();
  }

  @Test
  void wholeSequenceMatchesReference() throws IOException {
    try (NDManager scope = manager.newSubManager()) {
      NDArray x = scope.create(pcm, new Shape(1, 1, pcm.length));
      Golden.assertClose("latent", mimi.encodeToLatent(x).toFloatArray(), io.floats("latent"));
      NDArray codes = mimi.encode(x);
      assertThat(codes.getShape()).isEqualTo(new Shape(1, 8, 30));
      assertThat(codes.toLongArray()).isEqualTo(io.longs("codes"));
      NDArray goldenCodes = scope.create(io.longs("codes"), new Shape(1, 8, 30));
      Golden.assertClose(
          "quantized", mimi.decodeLatent(goldenCodes).toFloatArray(), io.floats("quantized"));
      Golden.assertClose("decoded", mimi.decode(goldenCodes).toFloatArray(), io.floats("decoded"));
    }
  }

  @Test
  void streamingFrameByFrameMatchesReference() throws IOException {
    int frames = 30;
    long[] streamCodes = new long[8 * frames];
    float[] streamLatent = new float[32 * frames];
    try (MimiStreams s = mimi.newStreams(manager, 1);
        MimiStreams s2 = mimi.newStreams(manager, 1)) {
      for (int f = 0; f < frames; f++) {
        try (NDManager scope = manager.newSubManager()) {
          float[] frame = java.util.Arrays.copyOfRange(pcm, 1920 * f, 1920 * (f + 1));
          NDArray x = scope.create(frame, new Shape(1, 1, 1920));
          long[] c = mimi.encodeStep(x, s, ExecMask.all(1)).toLongArray();
          float[] l = mimi.encodeLatentStep(x, s2, ExecMask.all(1)).toFloatArray();
          for (int k = 0; k < 8; k++) {
            streamCodes[k * frames + f] = c[k];
          }
          for (int d = 0; d < 32; d++) {
            streamLatent[d * frames + f] = l[d];
          }
        }
      }
    }
    Golden.assertClose("stream_latent", streamLatent, io.floats("stream_latent"));
    assertThat(streamCodes).isEqualTo(io.longs("stream_codes"));
    assertThat(streamCodes)
        .as("streaming differs from whole-sequence after the ring wraps")
        .isNotEqualTo(io.longs("codes"));
  }

  @Test
  void streamingDecodeMatchesReference() throws IOException {
    long[] codes = io.longs("codes");
    float[] out = new float[1920 * 30];
    try (MimiStreams s = mimi.newStreams(manager, 1)) {
      for (int f = 0; f < 30; f++) {
        long[][] frame = new long[1][8];
        for (int k = 0; k < 8; k++) {
          frame[0][k] = codes[k * 30 + f];
        }
        System.arraycopy(mimi.decodeFrame(frame, s, ExecMask.all(1))[0], 0, out, 1920 * f, 1920);
      }
    }
    Golden.assertClose("stream_decoded", out, io.floats("stream_decoded"));
  }
}
