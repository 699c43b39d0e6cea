package dev.parley.server.wire;

import java.io.IOException;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * Writing the MessagePack maps of moshi-server's protocols: a map tagged by {@code type}, then its
 * fields, packed into memory (where an I/O error cannot happen).
 */
final class MessagePackOut {
  /** The fields of one message. */
  @FunctionalInterface
  interface Fields {
    void write(MessageBufferPacker p) throws IOException;
  }

  private MessagePackOut() {}

  /**
   * The bytes of a map of {@code type} and {@code count} more fields that {@code fields} writes.
   */
  static byte[] message(String type, int count, Fields fields) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      p.packMapHeader(count + 1).packString("type").packString(type);
      fields.write(p);
      return p.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("in-memory packing failed", e);
    }
  }

  /** A field holding an array of float 32. */
  static void floats(MessageBufferPacker p, String key, float[] values) throws IOException {
    p.packString(key).packArrayHeader(values.length);
    for (float x : values) {
      p.packFloat(x);
    }
  }

  /** {@code Error{message}}, the same in every protocol. */
  static byte[] error(String message) {
    return message("Error", 1, p -> p.packString("message").packString(message));
  }

  /** {@code Ready{}}, the same in every protocol. */
  static byte[] ready() {
    return message("Ready", 0, p -> {});
  }
}
