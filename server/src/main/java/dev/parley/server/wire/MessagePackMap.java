package dev.parley.server.wire;

import java.io.IOException;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageFormatException;
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessageIntegerOverflowException;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Strict reading of moshi-server's client messages: one MessagePack map with string keys, read as
 * serde reads them (unknown keys skipped, duplicates refused, nothing after the map), and typed
 * field readers whose errors say what was wrong and where, for the client to see.
 */
public final class MessagePackMap {
  private MessagePackMap() {}

  /** Reads the value of a known key (the unpacker stands on it). */
  @FunctionalInterface
  public interface FieldReader {
    void read(MessageUnpacker u, String key) throws IOException, MalformedMessageException;
  }

  /**
   * Reads one map from {@code bytes}, handing every key in {@code known} to {@code fields}.
   *
   * @param notAMap what a valid message looks like, said when {@code bytes} is not a map
   */
  public static void read(
      byte[] bytes, Collection<String> known, String notAMap, FieldReader fields)
      throws MalformedMessageException {
    if (bytes.length == 0) {
      throw new MalformedMessageException("empty message: expected a MessagePack map");
    }
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
      MessageFormat first = u.getNextFormat();
      if (first == MessageFormat.NEVER_USED || first.getValueType() != ValueType.MAP) {
        throw new MalformedMessageException(
            "not a MessagePack map (the message starts with " + describe(first) + "): " + notAMap);
      }
      int n = u.unpackMapHeader();
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < n; i++) {
        MessageFormat kf = u.getNextFormat();
        if (kf.getValueType() != ValueType.STRING) {
          throw new MalformedMessageException(
              "map key " + i + " is " + describe(kf) + ", not a string");
        }
        String key = u.unpackString();
        if (!seen.add(key)) {
          throw new MalformedMessageException("duplicate field '" + key + "'");
        }
        if (!known.contains(key)) {
          u.skipValue(); // ignored, as serde ignores unknown fields
          continue;
        }
        fields.read(u, key);
      }
      if (u.hasNext()) {
        throw new MalformedMessageException("trailing bytes after the message map");
      }
    } catch (MessageInsufficientBufferException e) {
      throw new MalformedMessageException("truncated MessagePack message", e);
    } catch (MessageFormatException e) {
      throw new MalformedMessageException("not valid MessagePack: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new MalformedMessageException("unreadable MessagePack message: " + e.getMessage(), e);
    }
  }

  public static String string(MessageUnpacker u, String key)
      throws IOException, MalformedMessageException {
    MessageFormat fmt = u.getNextFormat();
    if (fmt.getValueType() != ValueType.STRING) {
      throw new MalformedMessageException(
          "field '" + key + "' must be a string, got " + describe(fmt));
    }
    return u.unpackString();
  }

  /** A 64-bit signed integer; {@code unsigned}: negative values are refused too. */
  public static long integer(MessageUnpacker u, String key, boolean unsigned)
      throws IOException, MalformedMessageException {
    MessageFormat fmt = u.getNextFormat();
    if (fmt.getValueType() != ValueType.INTEGER) {
      throw new MalformedMessageException(
          "field '" + key + "' must be an integer, got " + describe(fmt));
    }
    long v;
    try {
      v = u.unpackLong();
    } catch (MessageIntegerOverflowException e) {
      throw new MalformedMessageException(
          "field '" + key + "' is out of the 64-bit signed range", e);
    }
    if (unsigned && v < 0) {
      throw new MalformedMessageException("field '" + key + "' must not be negative, got " + v);
    }
    return v;
  }

  /** A finite float or integer. */
  public static double number(MessageUnpacker u, String key)
      throws IOException, MalformedMessageException {
    MessageFormat fmt = u.getNextFormat();
    double v;
    if (fmt.getValueType() == ValueType.FLOAT) {
      v = u.unpackDouble();
    } else if (fmt.getValueType() == ValueType.INTEGER) {
      v = integer(u, key, /* unsigned= */ false);
    } else {
      throw new MalformedMessageException(
          "field '" + key + "' must be a number, got " + describe(fmt));
    }
    if (!Double.isFinite(v)) {
      throw new MalformedMessageException("field '" + key + "' is " + v);
    }
    return v;
  }

  /** An array of at most {@code max} finite numbers. */
  public static float[] floats(MessageUnpacker u, String key, int max)
      throws IOException, MalformedMessageException {
    MessageFormat fmt = u.getNextFormat();
    if (fmt.getValueType() != ValueType.ARRAY) {
      throw new MalformedMessageException(
          "field '" + key + "' must be an array of numbers, got " + describe(fmt));
    }
    int n = u.unpackArrayHeader();
    if (n > max) {
      throw new MalformedMessageException(
          "field '"
              + key
              + "' holds "
              + n
              + " values, more than the limit of "
              + max
              + " per message");
    }
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      MessageFormat ef = u.getNextFormat();
      float x;
      if (ef == MessageFormat.FLOAT32) {
        x = u.unpackFloat();
      } else if (ef.getValueType() == ValueType.FLOAT) {
        x = (float) u.unpackDouble();
      } else if (ef.getValueType() == ValueType.INTEGER) {
        x = (float) integer(u, key, /* unsigned= */ false);
      } else {
        throw new MalformedMessageException(
            key + "[" + i + "] must be a number, got " + describe(ef));
      }
      if (!Float.isFinite(x)) {
        throw new MalformedMessageException(
            key + "[" + i + "] is " + x + ": values must be finite");
      }
      out[i] = x;
    }
    return out;
  }

  /**
   * Binary data, or an array of byte values (serde's default form of {@code Vec<u8>}), at most
   * {@code max} bytes.
   */
  public static byte[] bytes(MessageUnpacker u, String key, int max)
      throws IOException, MalformedMessageException {
    MessageFormat fmt = u.getNextFormat();
    if (fmt.getValueType() == ValueType.BINARY) {
      int n = u.unpackBinaryHeader();
      checkLength(key, n, max);
      return u.readPayload(n);
    }
    if (fmt.getValueType() == ValueType.ARRAY) {
      int n = u.unpackArrayHeader();
      checkLength(key, n, max);
      byte[] out = new byte[n];
      for (int i = 0; i < n; i++) {
        MessageFormat ef = u.getNextFormat();
        long v = ef.getValueType() == ValueType.INTEGER ? u.unpackLong() : -1;
        if (v < 0 || v > 255) {
          throw new MalformedMessageException(key + "[" + i + "] must be a byte (0..255)");
        }
        out[i] = (byte) v;
      }
      return out;
    }
    throw new MalformedMessageException(
        "field '" + key + "' must be binary data, got " + describe(fmt));
  }

  private static void checkLength(String key, int n, int max) throws MalformedMessageException {
    if (n > max) {
      throw new MalformedMessageException(
          "field '"
              + key
              + "' holds "
              + n
              + " bytes, more than the limit of "
              + max
              + " per message");
    }
  }

  /** What a value of this format is, in words. */
  public static String describe(MessageFormat fmt) {
    if (fmt == MessageFormat.NEVER_USED) {
      return "the byte 0xc1, which MessagePack never uses (not MessagePack data)";
    }
    return switch (fmt.getValueType()) {
      case NIL -> "nil";
      case BOOLEAN -> "a boolean";
      case INTEGER -> "an integer";
      case FLOAT -> "a float";
      case STRING -> "a string";
      case BINARY -> "binary data";
      case ARRAY -> "an array";
      case MAP -> "a map";
      case EXTENSION -> "an extension value";
    };
  }
}
