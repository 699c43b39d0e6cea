package dev.parley.codec.mimi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.parley.codec.nn.CheckpointParameters;
import dev.parley.codec.nn.WeightMismatchException;
import dev.parley.codec.tensor.DType;
import dev.parley.codec.tensor.ReferenceHalfFloats;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.tensor.SafeTensorsWriter;
import dev.parley.codec.tensor.TensorInfo;
import dev.parley.codec.testing.Diff;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.torch.TorchRuntime;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading Mimi checkpoints: every mismatch reported at once, 16-bit checkpoints widened exactly,
 * and the reference's legacy codebook names accepted. Copies of the golden {@code mimi_tiny}
 * weights are made in the test and checked against the golden outputs.
 */
class MimiCheckpointLoadingTest {
  static NDManager manager;
  static MimiConfig config;
  static Map<String, float[]> weights = new LinkedHashMap<>();
  static Map<String, long[]> shapes = new LinkedHashMap<>();
  static float[] pcm;
  static long[] goldenCodes;
  static float[] goldenDecoded;

  @TempDir Path dir;

  @BeforeAll
  static void load() throws IOException {
    manager = TorchRuntime.newManager();
    config = MimiConfig.fromJson(Golden.path("mimi_tiny.config.json"));
    try (SafeTensorsFile f = Golden.open("mimi_tiny.safetensors")) {
      for (TensorInfo t : f.tensors().values()) {
        assertThat(t.dtype()).isEqualTo(DType.F32);
        weights.put(t.name(), f.floats(t.name()));
        shapes.put(t.name(), t.shape());
      }
    }
    try (SafeTensorsFile io = Golden.open("mimi_tiny.io.safetensors")) {
      pcm = io.floats("pcm");
      goldenCodes = io.longs("codes");
      goldenDecoded = io.floats("decoded");
    }
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  /** The golden weights with names mapped by {@code rename} (null drops a tensor), as F32. */
  private Path copy(String name, UnaryOperator<String> rename, SafeTensorsWriter w)
      throws IOException {
    weights.forEach(
        (k, v) -> {
          String to = rename.apply(k);
          if (to != null) {
            w.putFloats(to, shapes.get(k), v);
          }
        });
    Path p = dir.resolve(name);
    w.write(p);
    return p;
  }

  private long[] encode(MimiModel m) {
    try (NDManager scope = manager.newSubManager()) {
      return m.encode(scope.create(pcm, new Shape(1, 1, pcm.length))).toLongArray();
    }
  }

  private float[] decode(MimiModel m) {
    try (NDManager scope = manager.newSubManager()) {
      return m.decode(scope.create(goldenCodes, new Shape(1, 8, 30))).toFloatArray();
    }
  }

  @Test
  void everyMissingUnexpectedAndMisshapedTensorIsReportedTogether() throws Exception {
    String missing = "decoder.model.0.conv.conv.bias";
    String reshaped = "quantizer.rvq_first.input_proj.weight";
    assertThat(shapes.get(reshaped)).containsExactly(16, 32, 1);
    SafeTensorsWriter w =
        new SafeTensorsWriter()
            .putFloats("encoder.model.99.conv.conv.weight", new long[] {2}, new float[] {1, 2})
            .putFloats(reshaped, new long[] {32, 16, 1}, weights.get(reshaped));
    Path p = copy("broken.safetensors", k -> k.equals(missing) || k.equals(reshaped) ? null : k, w);

    try (NDManager scope = manager.newSubManager()) {
      assertThatThrownBy(() -> MimiModel.load(p, config, scope, DataType.FLOAT32))
          .isInstanceOfSatisfying(
              WeightMismatchException.class,
              e -> {
                assertThat(e.problems())
                    .containsExactlyInAnyOrder(
                        "missing: decoder.model.0.conv.conv.bias [64]",
                        "unexpected: encoder.model.99.conv.conv.weight [2]",
                        "shape: quantizer.rvq_first.input_proj.weight is [32, 16, 1], model expects [16, 32, 1]");
                assertThat(e.getMessage()).contains("broken.safetensors").contains("3 problems");
              });
    }
  }

  @Test
  void anIntegerTensorWhereWeightsBelongIsReported() throws Exception {
    String name = "encoder.model.0.conv.conv.bias";
    long[] shape = shapes.get(name);
    SafeTensorsWriter w = new SafeTensorsWriter().putLongs(name, shape, new long[(int) shape[0]]);
    Path p = copy("ints.safetensors", k -> k.equals(name) ? null : k, w);
    try (NDManager scope = manager.newSubManager()) {
      assertThatThrownBy(() -> MimiModel.load(p, config, scope, DataType.FLOAT32))
          .isInstanceOfSatisfying(
              WeightMismatchException.class,
              e ->
                  assertThat(e.problems())
                      .containsExactly(
                          "dtype: encoder.model.0.conv.conv.bias is I64, expected a float tensor"));
    }
  }

  @Test
  void theGoldenCheckpointItselfLoadsCleanly() throws Exception {
    try (SafeTensorsFile f = Golden.open("mimi_tiny.safetensors");
        NDManager scope = manager.newSubManager()) {
      CheckpointParameters p =
          new CheckpointParameters(f, scope, DataType.FLOAT32, MimiModel.LEGACY_NAMES);
      new MimiModel(config, p, DataType.FLOAT32);
      assertThat(f.tensors()).hasSize(126);
      p.verify(); // every tensor used, none missing or mis-shaped
    }
  }

  @Test
  void legacyCodebookNamesAreAccepted() throws Exception {
    // The reference's EuclideanCodebook._load_from_state_dict maps inited → _initialized,
    // cluster_size → cluster_usage, embed_avg / embed_sum → embedding_sum.
    Path p =
        copy(
            "legacy.safetensors",
            k -> {
              if (!k.contains("._codebook.")) {
                return k;
              }
              boolean odd =
                  k.contains("layers.1.") || k.contains("layers.3.") || k.contains("layers.5.");
              return k.replace("._initialized", ".inited")
                  .replace(".cluster_usage", ".cluster_size")
                  .replace(".embedding_sum", odd ? ".embed_sum" : ".embed_avg");
            },
            new SafeTensorsWriter());
    try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
      assertThat(f.tensors().keySet())
          .noneMatch(k -> k.endsWith("embedding_sum") || k.endsWith("cluster_usage"))
          .anyMatch(k -> k.endsWith(".embed_avg"))
          .anyMatch(k -> k.endsWith(".embed_sum"))
          .anyMatch(k -> k.endsWith(".inited"));
    }
    try (NDManager scope = manager.newSubManager()) {
      MimiModel m = MimiModel.load(p, config, scope, DataType.FLOAT32);
      assertThat(encode(m)).isEqualTo(goldenCodes);
      Golden.assertClose("decoded", decode(m), goldenDecoded);
    }
  }

  /**
   * A copy of the golden weights stored as 16-bit floats; returns the values each tensor must widen
   * to.
   */
  private Map<String, float[]> halfCopy(Path p, DType dtype) throws IOException {
    SafeTensorsWriter w = new SafeTensorsWriter();
    Map<String, float[]> widened = new LinkedHashMap<>();
    weights.forEach(
        (k, v) -> {
          ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
          float[] expect = new float[v.length];
          for (int i = 0; i < v.length; i++) {
            short h =
                dtype == DType.BF16
                    ? ReferenceHalfFloats.bf16Nearest(v[i])
                    : ReferenceHalfFloats.f16Nearest(v[i]);
            b.putShort(h);
            expect[i] =
                dtype == DType.BF16
                    ? ReferenceHalfFloats.bf16Value(h)
                    : (float) ReferenceHalfFloats.f16Value(h);
          }
          w.putRaw(k, dtype, shapes.get(k), b.array());
          widened.put(k, expect);
        });
    w.write(p);
    return widened;
  }

  /** Every tensor, as the loader hands it to the model, equals the rounded value exactly. */
  private void assertLoaderWidensExactly(Path p, Map<String, float[]> widened) throws IOException {
    try (SafeTensorsFile f = SafeTensorsFile.open(p);
        NDManager scope = manager.newSubManager()) {
      CheckpointParameters params = new CheckpointParameters(f, scope, DataType.FLOAT32, Map.of());
      for (Map.Entry<String, float[]> e : widened.entrySet()) {
        NDArray a = params.get(e.getKey(), shapes.get(e.getKey()));
        assertThat(a.getDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(a.toFloatArray()).as(e.getKey()).containsExactly(e.getValue());
        assertThat(f.floats(e.getKey())).as(e.getKey()).containsExactly(e.getValue());
      }
      params.verify();
    }
  }

  /**
   * A 16-bit copy loads to exactly the rounded values, and the model built from it computes exactly
   * what a float32 checkpoint holding those rounded values computes. Against the golden outputs
   * (made with the unrounded weights) only closeness can be asked: every weight moves by at most
   * the format's unit roundoff u (relative), and in the ~20 layers of the decoder the roundings
   * have random signs, so the PCM error stays near u·peak (measured: f16 0.54·u·peak, bf16
   * 0.94·u·peak). 8·u·peak leaves room for that; a real loading fault (wrong format, byte order,
   * scaling) gives errors of the order of the peak itself. Codes may differ from the golden ones: a
   * weight change of u moves near-tie nearest-centroid decisions.
   */
  private void checkHalfCheckpoint(DType dtype, double unitRoundoff) throws IOException {
    Path half = dir.resolve(dtype + ".safetensors");
    Map<String, float[]> widened = halfCopy(half, dtype);
    assertLoaderWidensExactly(half, widened);
    SafeTensorsWriter w = new SafeTensorsWriter();
    widened.forEach((k, v) -> w.putFloats(k, shapes.get(k), v));
    Path f32 = dir.resolve(dtype + "-as-f32.safetensors");
    w.write(f32);
    try (NDManager scope = manager.newSubManager()) {
      MimiModel fromHalf = MimiModel.load(half, config, scope, DataType.FLOAT32);
      MimiModel fromF32 = MimiModel.load(f32, config, scope, DataType.FLOAT32);
      long[] codes = encode(fromHalf);
      float[] decoded = decode(fromHalf);
      assertThat(codes).isEqualTo(encode(fromF32));
      assertThat(decoded).containsExactly(decode(fromF32));
      double peak = Diff.peak(goldenDecoded);
      double err =
          Diff.assertClose(
              dtype + " decoded vs golden", decoded, goldenDecoded, 8 * unitRoundoff * peak);
      int same = 0;
      for (int i = 0; i < codes.length; i++) {
        same += codes[i] == goldenCodes[i] ? 1 : 0;
      }
      System.out.printf(
          "%s weights: %d/%d codes equal to golden, decoded max abs err %.3g = %.2f u·peak%n",
          dtype, same, codes.length, err, err / (unitRoundoff * peak));
    }
  }

  @Test
  void bf16CheckpointLoadsWidenedExactlyAndRuns() throws Exception {
    checkHalfCheckpoint(DType.BF16, 0x1p-8); // 8 significant bits
  }

  @Test
  void f16CheckpointLoadsWidenedExactlyAndRuns() throws Exception {
    checkHalfCheckpoint(DType.F16, 0x1p-11); // 11 significant bits
  }
}
