package dev.parley.codec.tensor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** Writes safetensors files (keys sorted, as the reference tools write them). */
public final class SafeTensorsWriter {
  private final Map<String, Entry> entries = new TreeMap<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();

  private record Entry(DType dtype, long[] shape, ByteBuffer data) {}

  public SafeTensorsWriter putFloats(String name, long[] shape, float[] values) {
    check(shape, values.length);
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    entries.put(name, new Entry(DType.F32, shape.clone(), b));
    return this;
  }

  public SafeTensorsWriter putLongs(String name, long[] shape, long[] values) {
    check(shape, values.length);
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    entries.put(name, new Entry(DType.I64, shape.clone(), b));
    return this;
  }

  /** Raw little-endian bytes of any dtype (e.g. BF16 test checkpoints). */
  public SafeTensorsWriter putRaw(String name, DType dtype, long[] shape, byte[] littleEndian) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (n * dtype.bytes() != littleEndian.length) {
      throw new IllegalArgumentException(
          name + ": " + littleEndian.length + " bytes for " + n + " " + dtype);
    }
    entries.put(name, new Entry(dtype, shape.clone(), ByteBuffer.wrap(littleEndian)));
    return this;
  }

  public SafeTensorsWriter metadata(String key, String value) {
    metadata.put(key, value);
    return this;
  }

  private static void check(long[] shape, int length) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (n != length) {
      throw new IllegalArgumentException("shape holds " + n + " values, got " + length);
    }
  }

  public void write(Path path) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode m = root.putObject("__metadata__");
      metadata.forEach(m::put);
    }
    long offset = 0;
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      ObjectNode t = root.putObject(e.getKey());
      t.put("dtype", e.getValue().dtype().name());
      ArrayNode shape = t.putArray("shape");
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      long len = e.getValue().data().remaining();
      ArrayNode off = t.putArray("data_offsets");
      off.add(offset);
      off.add(offset + len);
      offset += len;
    }
    byte[] header = json.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
    int padded =
        (header.length + 7) / 8 * 8; // align the data section, as the reference writer does
    byte[] h = new byte[padded];
    java.util.Arrays.fill(h, (byte) ' ');
    System.arraycopy(header, 0, h, 0, header.length);
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (OutputStream os = Files.newOutputStream(path);
        WritableByteChannel ch = Channels.newChannel(os)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).flip();
      ch.write(len);
      ch.write(ByteBuffer.wrap(h));
      for (Entry e : entries.values()) {
        ByteBuffer d = e.data().duplicate();
        while (d.hasRemaining()) {
          ch.write(d);
        }
      }
    }
  }
}
