package dev.parley.codec.tensor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A memory-mapped safetensors file. Only the header is read at open; each tensor's bytes are mapped
 * on demand, one region per tensor, so files far larger than 2 GiB work (a single tensor must stay
 * under 2 GiB, which every Kyutai checkpoint satisfies).
 */
public final class SafeTensorsFile implements Closeable {
  private static final long MAX_HEADER = 100L << 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;

  private SafeTensorsFile(
      Path path,
      FileChannel channel,
      long dataStart,
      Map<String, TensorInfo> tensors,
      Map<String, String> metadata) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  public static SafeTensorsFile open(Path path) throws IOException {
    FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
    try {
      long size = ch.size();
      if (size < 8) {
        throw new SafeTensorsException(
            path + ": too short for a safetensors file (" + size + " bytes)");
      }
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, 0);
      long headerLen = lenBuf.flip().getLong();
      if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
        throw new SafeTensorsException(path + ": invalid header length " + headerLen);
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLen);
      readFully(ch, header, 8);
      JsonNode root;
      try {
        root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new SafeTensorsException(path + ": header is not JSON: " + e.getMessage());
      }
      if (root == null || !root.isObject()) {
        throw new SafeTensorsException(path + ": header is not a JSON object");
      }
      long dataStart = 8 + headerLen;
      long dataLen = size - dataStart;
      Map<String, TensorInfo> tensors = new LinkedHashMap<>();
      Map<String, String> meta = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : root.properties()) {
        if (e.getKey().equals("__metadata__")) {
          e.getValue().properties().forEach(m -> meta.put(m.getKey(), m.getValue().asText()));
          continue;
        }
        tensors.put(e.getKey(), parseEntry(path, e.getKey(), e.getValue(), dataLen));
      }
      return new SafeTensorsFile(
          path,
          ch,
          dataStart,
          Collections.unmodifiableMap(tensors),
          Collections.unmodifiableMap(meta));
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static TensorInfo parseEntry(Path path, String name, JsonNode node, long dataLen)
      throws SafeTensorsException {
    JsonNode dt = node.get("dtype");
    JsonNode sh = node.get("shape");
    JsonNode off = node.get("data_offsets");
    if (dt == null
        || sh == null
        || off == null
        || !sh.isArray()
        || !off.isArray()
        || off.size() != 2) {
      throw new SafeTensorsException(path + ": malformed header entry for " + name);
    }
    DType dtype = DType.parse(dt.asText());
    long[] shape = new long[sh.size()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      shape[i] = sh.get(i).asLong();
      if (shape[i] < 0) {
        throw new SafeTensorsException(path + ": negative dimension in " + name);
      }
      count = product(path, name, count, shape[i]);
    }
    long begin = off.get(0).asLong();
    long end = off.get(1).asLong();
    if (begin < 0 || end < begin || end > dataLen) {
      throw new SafeTensorsException(path + ": data_offsets of " + name + " out of range");
    }
    long bytes = product(path, name, count, dtype.bytes());
    if (end - begin != bytes) {
      throw new SafeTensorsException(
          path
              + ": "
              + name
              + " has "
              + (end - begin)
              + " bytes, shape "
              + java.util.Arrays.toString(shape)
              + " of "
              + dtype
              + " needs "
              + bytes);
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  /**
   * a·b, or an error for a shape whose size overflows 64 bits (it would otherwise wrap to a small
   * size).
   */
  private static long product(Path path, String name, long a, long b) throws SafeTensorsException {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      throw new SafeTensorsException(path + ": shape of " + name + " is too large");
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new SafeTensorsException("unexpected end of file");
      }
      pos += n;
    }
  }

  public Path path() {
    return path;
  }

  /** Every tensor in header order. */
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  public TensorInfo info(String name) throws SafeTensorsException {
    TensorInfo t = tensors.get(name);
    if (t == null) {
      throw new SafeTensorsException(path + ": no tensor named " + name);
    }
    return t;
  }

  /** The raw little-endian bytes of one tensor, memory-mapped (read only). */
  public ByteBuffer bytes(String name) throws IOException {
    TensorInfo t = info(name);
    if (t.byteLength() > Integer.MAX_VALUE) {
      throw new SafeTensorsException(name + " is larger than 2 GiB; split it");
    }
    if (t.byteLength() == 0) {
      return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
    }
    MappedByteBuffer m =
        channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), t.byteLength());
    return m.order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * A float tensor widened to float32 in a direct native-order buffer (F32 copied, F16/BF16/F64
   * converted in Java). The result can be handed to DJL.
   */
  public ByteBuffer float32(String name) throws IOException {
    TensorInfo t = info(name);
    if (!t.dtype().isFloat()) {
      throw new SafeTensorsException(name + " is " + t.dtype() + ", not a float tensor");
    }
    long n = t.elementCount();
    if (n * 4 > Integer.MAX_VALUE) {
      throw new SafeTensorsException(name + " is larger than 2 GiB as float32");
    }
    ByteBuffer src = bytes(name);
    ByteBuffer dst = ByteBuffer.allocateDirect((int) (n * 4)).order(ByteOrder.nativeOrder());
    switch (t.dtype()) {
      case F32 -> dst.asFloatBuffer().put(src.asFloatBuffer());
      case BF16 -> {
        var in = src.asShortBuffer();
        var out = dst.asFloatBuffer();
        for (int i = 0; i < n; i++) {
          out.put(i, HalfFloats.bf16ToFloat(in.get(i)));
        }
      }
      case F16 -> {
        var in = src.asShortBuffer();
        var out = dst.asFloatBuffer();
        for (int i = 0; i < n; i++) {
          out.put(i, HalfFloats.f16ToFloat(in.get(i)));
        }
      }
      case F64 -> {
        var in = src.asDoubleBuffer();
        var out = dst.asFloatBuffer();
        for (int i = 0; i < n; i++) {
          out.put(i, (float) in.get(i));
        }
      }
      default -> throw new IllegalStateException();
    }
    return dst;
  }

  /** A float tensor as a Java array (for small tensors and tests). */
  public float[] floats(String name) throws IOException {
    ByteBuffer b = float32(name);
    float[] out = new float[b.capacity() / 4];
    b.asFloatBuffer().get(out);
    return out;
  }

  /** An integer tensor (I64, I32, I16, I8, U8, BOOL) as longs. */
  public long[] longs(String name) throws IOException {
    TensorInfo t = info(name);
    ByteBuffer src = bytes(name);
    int n = Math.toIntExact(t.elementCount());
    long[] out = new long[n];
    switch (t.dtype()) {
      case I64 -> src.asLongBuffer().get(out);
      case I32 -> {
        for (int i = 0; i < n; i++) {
          out[i] = src.getInt(4 * i);
        }
      }
      case I16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = src.getShort(2 * i);
        }
      }
      case I8 -> {
        for (int i = 0; i < n; i++) {
          out[i] = src.get(i);
        }
      }
      case U8, BOOL -> {
        for (int i = 0; i < n; i++) {
          out[i] = src.get(i) & 0xff;
        }
      }
      default ->
          throw new SafeTensorsException(name + " is " + t.dtype() + ", not an integer tensor");
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
