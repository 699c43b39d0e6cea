package dev.parley.codec.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a safetensors file can be broken gives a SafeTensorsException that names the file and
 * the problem.
 */
class SafeTensorsMalformedTest {
  @TempDir Path dir;

  /** u64 LE {@code declaredLength}, then the header bytes, then {@code data}. */
  private Path file(String name, long declaredLength, String header, byte[] data)
      throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(declaredLength).put(h).put(data);
    Path p = dir.resolve(name);
    Files.write(p, b.array());
    return p;
  }

  private Path file(String name, String header, byte[] data) throws IOException {
    return file(name, header.getBytes(StandardCharsets.UTF_8).length, header, data);
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertOpenFails(Path p) {
    return assertThatThrownBy(() -> SafeTensorsFile.open(p).close())
        .isInstanceOf(SafeTensorsException.class)
        .hasMessageContaining(p.getFileName().toString());
  }

  @Test
  void validControlFileOpens() throws Exception {
    Path p =
        file(
            "ok.safetensors",
            "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
            new byte[8]);
    try (SafeTensorsFile st = SafeTensorsFile.open(p)) {
      assertThat(st.floats("x")).containsExactly(0f, 0f);
    }
  }

  @Test
  void emptyAndTooShortFiles() throws Exception {
    Path empty = dir.resolve("empty.safetensors");
    Files.write(empty, new byte[0]);
    assertOpenFails(empty).hasMessageContaining("too short");
    Path five = dir.resolve("five.safetensors");
    Files.write(five, new byte[5]);
    assertOpenFails(five).hasMessageContaining("too short");
  }

  @Test
  void headerLengthBeyondTheFile() throws Exception {
    Path p = file("long.safetensors", 1000, "{}", new byte[0]);
    assertOpenFails(p).hasMessageContaining("invalid header length 1000");
  }

  @Test
  void absurdHeaderLengthsAreRejectedBeforeAllocating() throws Exception {
    assertOpenFails(file("huge.safetensors", Long.MAX_VALUE, "{}", new byte[0]))
        .hasMessageContaining("invalid header length");
    assertOpenFails(file("negative.safetensors", -8, "{}", new byte[0]))
        .hasMessageContaining("invalid header length");
    assertOpenFails(file("zero.safetensors", 0, "{}", new byte[0]))
        .hasMessageContaining("invalid header length 0");
  }

  @Test
  void truncatedFiles() throws Exception {
    Path good = dir.resolve("good.safetensors");
    new SafeTensorsWriter().putFloats("w", new long[] {4, 4}, new float[16]).write(good);
    byte[] all = Files.readAllBytes(good);
    // cut inside the data section: the tensor's bytes run past the end
    Path cutData = dir.resolve("cut-data.safetensors");
    Files.write(cutData, Arrays.copyOf(all, all.length - 3));
    assertOpenFails(cutData).hasMessageContaining("data_offsets of w out of range");
    // cut inside the header
    Path cutHeader = dir.resolve("cut-header.safetensors");
    Files.write(cutHeader, Arrays.copyOf(all, 20));
    assertOpenFails(cutHeader).hasMessageContaining("invalid header length");
  }

  @Test
  void headerThatIsNotJson() throws Exception {
    assertOpenFails(file("bad.safetensors", "{\"x\": {\"dtype\": ", new byte[0]))
        .hasMessageContaining("not JSON");
    assertOpenFails(file("garbage.safetensors", "\u0000\u0001abc", new byte[0]))
        .hasMessageContaining("not JSON");
    assertOpenFails(file("array.safetensors", "[1, 2]", new byte[0]))
        .hasMessageContaining("not a JSON object");
  }

  @Test
  void offsetsOutOfRange() throws Exception {
    assertOpenFails(
            file(
                "past-end.safetensors",
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                new byte[4]))
        .hasMessageContaining("data_offsets of x out of range");
    assertOpenFails(
            file(
                "backwards.safetensors",
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}",
                new byte[8]))
        .hasMessageContaining("data_offsets of x out of range");
    assertOpenFails(
            file(
                "negative.safetensors",
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}",
                new byte[8]))
        .hasMessageContaining("data_offsets of x out of range");
  }

  @Test
  void byteCountThatDoesNotMatchTheShape() throws Exception {
    assertOpenFails(
            file(
                "short.safetensors",
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}",
                new byte[24]))
        .hasMessageContaining("x has 20 bytes, shape [2, 3] of F32 needs 24");
    assertOpenFails(
            file(
                "dtype.safetensors",
                "{\"x\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,16]}}",
                new byte[16]))
        .hasMessageContaining("needs 8");
  }

  @Test
  void shapeWhoseElementCountOverflowsIsRejected() throws Exception {
    // 2^62 · 4 elements wrap to 0 in 64-bit arithmetic; a zero-byte range must not pass for such a
    // shape.
    assertOpenFails(
            file(
                "overflow.safetensors",
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}",
                new byte[0]))
        .hasMessageContaining("shape of x is too large");
    // 2^61 F32 elements need 2^63 bytes, which wraps negative
    assertOpenFails(
            file(
                "overflow2.safetensors",
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[2305843009213693952],\"data_offsets\":[0,0]}}",
                new byte[0]))
        .hasMessageContaining("shape of x is too large");
  }

  @Test
  void malformedEntries() throws Exception {
    assertOpenFails(
            file(
                "nodtype.safetensors",
                "{\"x\":{\"shape\":[1],\"data_offsets\":[0,4]}}",
                new byte[4]))
        .hasMessageContaining("malformed header entry for x");
    assertOpenFails(
            file(
                "shape.safetensors",
                "{\"x\":{\"dtype\":\"F32\",\"shape\":3,\"data_offsets\":[0,4]}}",
                new byte[4]))
        .hasMessageContaining("malformed header entry for x");
    assertOpenFails(
            file(
                "offsets.safetensors",
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}",
                new byte[4]))
        .hasMessageContaining("malformed header entry for x");
    assertOpenFails(
            file(
                "negdim.safetensors",
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
                new byte[4]))
        .hasMessageContaining("negative dimension in x");
  }

  @Test
  void unknownDtype() throws Exception {
    Path p =
        file(
            "dtype.safetensors",
            "{\"x\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}",
            new byte[1]);
    assertThatThrownBy(() -> SafeTensorsFile.open(p).close())
        .isInstanceOf(SafeTensorsException.class)
        .hasMessageContaining("unsupported safetensors dtype F8_E4M3");
  }

  @Test
  void aFailedOpenDoesNotLeakTheFileHandle() throws Exception {
    Path p = file("bad.safetensors", "{oops", new byte[0]);
    long before = openFileDescriptors();
    for (int i = 0; i < 200; i++) {
      assertThatThrownBy(() -> SafeTensorsFile.open(p)).isInstanceOf(SafeTensorsException.class);
    }
    assertThat(openFileDescriptors()).isLessThan(before + 20);
  }

  private static long openFileDescriptors() throws IOException {
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }
}
