package dev.parley.codec.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writer → reader round trips, the on-disk layout, and 16/64-bit floats widened to float32. */
class SafeTensorsRoundTripTest {
  @TempDir Path dir;

  private static byte[] le16(int... bits) {
    ByteBuffer b = ByteBuffer.allocate(2 * bits.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : bits) {
      b.putShort((short) v);
    }
    return b.array();
  }

  @Test
  void floatsLongsAndMetadataSurviveARoundTrip() throws Exception {
    float[] a = {1.5f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, 3.25f};
    float[] nan = {Float.intBitsToFloat(0x7fc00001)};
    long[] ids = {0, -1, Long.MIN_VALUE, Long.MAX_VALUE, 42, 1L << 40};
    Path f = dir.resolve("rt.safetensors");
    new SafeTensorsWriter()
        .putFloats("w.b", new long[] {2, 3}, a)
        .putFloats("nan", new long[] {1}, nan)
        .putFloats("scalar", new long[] {}, new float[] {7f})
        .putFloats("empty", new long[] {0, 4}, new float[0])
        .putLongs("a.ids", new long[] {3, 1, 2}, ids)
        .metadata("format", "pt")
        .metadata("note", "ünïcode ✓")
        .write(f);
    try (SafeTensorsFile st = SafeTensorsFile.open(f)) {
      assertThat(st.tensors().keySet())
          .containsExactly("a.ids", "empty", "nan", "scalar", "w.b"); // sorted
      assertThat(st.metadata()).containsExactly(entry("format", "pt"), entry("note", "ünïcode ✓"));
      TensorInfo w = st.info("w.b");
      assertThat(w.dtype()).isEqualTo(DType.F32);
      assertThat(w.shape()).containsExactly(2, 3);
      float[] back = st.floats("w.b");
      for (int i = 0; i < a.length; i++) {
        assertThat(Float.floatToRawIntBits(back[i])).isEqualTo(Float.floatToRawIntBits(a[i]));
      }
      assertThat(Float.floatToRawIntBits(st.floats("nan")[0])).isEqualTo(0x7fc00001);
      assertThat(st.info("scalar").shape()).isEmpty();
      assertThat(st.floats("scalar")).containsExactly(7f);
      assertThat(st.info("empty").elementCount()).isZero();
      assertThat(st.floats("empty")).isEmpty();
      assertThat(st.info("a.ids").dtype()).isEqualTo(DType.I64);
      assertThat(st.longs("a.ids")).containsExactly(ids);
      // float32() is a direct native-order buffer for DJL
      ByteBuffer direct = st.float32("w.b");
      assertThat(direct.isDirect()).isTrue();
      assertThat(direct.order()).isEqualTo(ByteOrder.nativeOrder());
      assertThat(st.contains("w.b")).isTrue();
      assertThat(st.contains("w")).isFalse();
    }
  }

  @Test
  void writerLayoutIsTheSafetensorsFormat() throws Exception {
    Path f = dir.resolve("layout.safetensors");
    new SafeTensorsWriter()
        .putLongs("b", new long[] {2}, new long[] {5, -6})
        .putFloats("a", new long[] {3}, new float[] {1f, 2f, 3f})
        .metadata("k", "v")
        .write(f);
    // Parse the bytes by hand: u64 LE header length, JSON header, then the data in offset order.
    byte[] bytes = Files.readAllBytes(f);
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long n = b.getLong(0);
    assertThat(n % 8).as("data section is 8-byte aligned").isZero();
    assertThat(bytes.length).isEqualTo(8 + n + 12 + 16);
    JsonNode h =
        new ObjectMapper().readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8).strip());
    assertThat(h.get("__metadata__").get("k").asText()).isEqualTo("v");
    assertThat(h.get("a").get("dtype").asText()).isEqualTo("F32");
    assertThat(h.get("a").get("data_offsets").get(0).asLong()).isZero();
    assertThat(h.get("a").get("data_offsets").get(1).asLong()).isEqualTo(12);
    assertThat(h.get("b").get("dtype").asText()).isEqualTo("I64");
    assertThat(h.get("b").get("data_offsets").get(0).asLong()).isEqualTo(12);
    assertThat(h.get("b").get("data_offsets").get(1).asLong()).isEqualTo(28);
    int data = 8 + (int) n;
    assertThat(b.getFloat(data)).isEqualTo(1f);
    assertThat(b.getFloat(data + 8)).isEqualTo(3f);
    assertThat(b.getLong(data + 12)).isEqualTo(5);
    assertThat(b.getLong(data + 20)).isEqualTo(-6);
  }

  @Test
  void f16IsWidenedExactly() throws Exception {
    // Patterns worked out by hand from the IEEE binary16 layout.
    int[] bits = {
      0x3e00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555, 0xfbff
    };
    float[] expected = {
      1.5f,
      -2.0f,
      65504f,
      0x1p-24f,
      1023 * 0x1p-24f,
      0x1p-14f,
      -0f,
      Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY,
      Float.NaN,
      0.333251953125f,
      -65504f
    };
    Path f = dir.resolve("f16.safetensors");
    new SafeTensorsWriter().putRaw("h", DType.F16, new long[] {3, 4}, le16(bits)).write(f);
    try (SafeTensorsFile st = SafeTensorsFile.open(f)) {
      assertThat(st.info("h").dtype()).isEqualTo(DType.F16);
      float[] got = st.floats("h");
      assertThat(got).hasSize(expected.length);
      for (int i = 0; i < got.length; i++) {
        if (Float.isNaN(expected[i])) {
          assertThat(got[i]).isNaN();
        } else {
          assertThat(Float.floatToRawIntBits(got[i]))
              .as("0x%04x", bits[i])
              .isEqualTo(Float.floatToRawIntBits(expected[i]));
        }
      }
    }
  }

  @Test
  void bf16IsWidenedExactly() throws Exception {
    // Floats with at most 8 significant bits are exact in bf16: their bf16 pattern is the top half
    // of the float.
    float[] values = {
      1f,
      -2.5f,
      3.140625f,
      0x1.fep127f,
      0x1p-126f,
      0x1p-133f,
      -0f,
      1024f,
      -0.0078125f,
      Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY,
      96f
    };
    int[] bits = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      int raw = Float.floatToRawIntBits(values[i]);
      assertThat(raw & 0xffff).as("%s is exact in bf16", values[i]).isZero();
      bits[i] = raw >>> 16;
    }
    Path f = dir.resolve("bf16.safetensors");
    new SafeTensorsWriter()
        .putRaw("b", DType.BF16, new long[] {values.length}, le16(bits))
        .putRaw("nan", DType.BF16, new long[] {1}, le16(0x7fc0))
        .write(f);
    try (SafeTensorsFile st = SafeTensorsFile.open(f)) {
      float[] got = st.floats("b");
      for (int i = 0; i < values.length; i++) {
        assertThat(Float.floatToRawIntBits(got[i]))
            .as("%s", values[i])
            .isEqualTo(Float.floatToRawIntBits(values[i]));
      }
      assertThat(st.floats("nan")[0]).isNaN();
    }
  }

  @Test
  void f64IsNarrowedToTheNearestFloat() throws Exception {
    double[] d = {0.1, -1e300, 1e-50, 1.0 + 0x1p-30, 16777217.0};
    // Java's (float) cast rounds to nearest even: 1e300 → -inf, 1e-50 → 0, 1+2^-30 → 1, 2^24+1 →
    // 2^24.
    float[] expected = {0.1f, Float.NEGATIVE_INFINITY, 0f, 1f, 16777216f};
    ByteBuffer b = ByteBuffer.allocate(8 * d.length).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : d) {
      b.putDouble(v);
    }
    Path f = dir.resolve("f64.safetensors");
    new SafeTensorsWriter().putRaw("d", DType.F64, new long[] {d.length}, b.array()).write(f);
    try (SafeTensorsFile st = SafeTensorsFile.open(f)) {
      assertThat(st.floats("d")).containsExactly(expected);
    }
  }

  @Test
  void narrowIntegerTypesAreReadAsLongs() throws Exception {
    ByteBuffer i32 =
        ByteBuffer.allocate(12)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putInt(-7)
            .putInt(Integer.MAX_VALUE)
            .putInt(Integer.MIN_VALUE);
    Path f = dir.resolve("ints.safetensors");
    new SafeTensorsWriter()
        .putRaw("i32", DType.I32, new long[] {3}, i32.array())
        .putRaw("i16", DType.I16, new long[] {2}, le16(0x8000, 0x7fff))
        .putRaw("i8", DType.I8, new long[] {2}, new byte[] {(byte) 0xff, 5})
        .putRaw("u8", DType.U8, new long[] {2}, new byte[] {(byte) 0xff, 5})
        .putRaw("bool", DType.BOOL, new long[] {2}, new byte[] {1, 0})
        .write(f);
    try (SafeTensorsFile st = SafeTensorsFile.open(f)) {
      assertThat(st.longs("i32")).containsExactly(-7, Integer.MAX_VALUE, Integer.MIN_VALUE);
      assertThat(st.longs("i16")).containsExactly(-32768, 32767);
      assertThat(st.longs("i8")).containsExactly(-1, 5);
      assertThat(st.longs("u8")).containsExactly(255, 5);
      assertThat(st.longs("bool")).containsExactly(1, 0);
    }
  }

  @Test
  void askingForTheWrongKindOfTensorIsAClearError() throws Exception {
    Path f = dir.resolve("kinds.safetensors");
    new SafeTensorsWriter()
        .putFloats("f", new long[] {1}, new float[] {1})
        .putLongs("l", new long[] {1}, new long[] {1})
        .write(f);
    try (SafeTensorsFile st = SafeTensorsFile.open(f)) {
      assertThatThrownBy(() -> st.floats("l"))
          .isInstanceOf(SafeTensorsException.class)
          .hasMessageContaining("l is I64, not a float tensor");
      assertThatThrownBy(() -> st.longs("f"))
          .isInstanceOf(SafeTensorsException.class)
          .hasMessageContaining("f is F32, not an integer tensor");
      assertThatThrownBy(() -> st.floats("missing"))
          .isInstanceOf(SafeTensorsException.class)
          .hasMessageContaining("no tensor named missing");
    }
  }

  @Test
  void writerRejectsValuesThatDoNotFillTheShape() {
    SafeTensorsWriter w = new SafeTensorsWriter();
    assertThatThrownBy(() -> w.putFloats("x", new long[] {2, 2}, new float[3]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> w.putLongs("x", new long[] {2}, new long[3]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> w.putRaw("x", DType.BF16, new long[] {2}, new byte[3]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readsTheGoldenFileWrittenByThePythonSafetensorsLibrary() throws Exception {
    // Written by the reference tool chain (safetensors' Python writer), not by SafeTensorsWriter.
    try (SafeTensorsFile st = dev.parley.codec.testing.Golden.open("mimi_tiny.io.safetensors")) {
      assertThat(st.info("pcm").shape()).containsExactly(1, 1, 57600);
      assertThat(st.info("codes").dtype()).isEqualTo(DType.I64);
      long[] codes = st.longs("codes");
      assertThat(codes).hasSize(240);
      assertThat(java.util.Arrays.stream(codes).allMatch(c -> c >= 0 && c < 64)).isTrue();
      assertThat(List.of(st.info("pcm").dtype(), st.info("latent").dtype()))
          .containsOnly(DType.F32);
    }
  }
}
