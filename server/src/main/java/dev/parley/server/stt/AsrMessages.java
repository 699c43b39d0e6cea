package dev.parley.server.stt;

import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageFormatException;
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessageIntegerOverflowException;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * The MessagePack messages of moshi-server's streaming transcription WebSocket
 * ({@code /api/asr-streaming}, {@code rust/moshi-server/src/asr.rs} {@code InMsg}/{@code OutMsg}):
 * one message per binary frame, a map tagged by its {@code "type"} field, encoded as
 * {@code rmp_serde} with struct maps encodes it — {@code "type"} first, then the fields in
 * declaration order; {@code f64} times as float 64, {@code f32} probabilities and samples as
 * float 32, integers in their shortest form, Ogg data as bin.
 *
 * <p>Decoding is as lenient as the reference's serde decoding where that is harmless (fields in
 * any order, unknown fields ignored, samples as float 32, float 64 or integers, Ogg data as bin or
 * as an array of bytes) and strict elsewhere: anything that is not one well-formed MessagePack map
 * with a known {@code type} and fields of the right types, non-finite samples, and arrays longer
 * than the configured bounds are refused with an {@link AsrProtocolException} whose message can be
 * sent back to the client in an {@link Out.Error}. Instances are immutable and thread-safe.
 */
public final class AsrMessages {
  /** Default bound on the samples of one {@code Audio} message: 10 s at 24 kHz. */
  public static final int DEFAULT_MAX_PCM_SAMPLES = 240_000;
  /** Default bound on the bytes of one {@code OggOpus} message. */
  public static final int DEFAULT_MAX_OGG_BYTES = 1 << 20;

  /** Client to server ({@code InMsg}). */
  public sealed interface In permits In.Audio, In.OggOpus, In.Marker, In.Init {
    /** 24 kHz mono samples, any count. */
    record Audio(float[] pcm) implements In {}

    /** A piece of an Ogg Opus stream (pages, cut anywhere). */
    record OggOpus(byte[] data) implements In {}

    /** Echo {@code id} back once the audio sent before it has been transcribed. */
    record Marker(long id) implements In {}

    /** Start of a stream (used by the batched server: answered with {@link Out.Ready}). */
    record Init() implements In {}
  }

  /** Server to client ({@code OutMsg}). */
  public sealed interface Out permits Out.Word, Out.EndWord, Out.Marker, Out.Step, Out.Error, Out.Ready {
    /** A word and when it starts, in seconds from the start of the client's audio. */
    record Word(String text, double startTime) implements Out {}

    /** The last word ends at {@code stopTime} seconds. */
    record EndWord(double stopTime) implements Out {}

    /** The marker {@code id} the client sent. */
    record Marker(long id) implements Out {}

    /** One model step: its index, each extra head's pause probability, and the samples still waiting. */
    record Step(long stepIdx, float[] prs, long bufferedPcm) implements Out {}

    /** Something went wrong; the server closes the stream. */
    record Error(String message) implements Out {}

    /** The server is ready for audio. */
    record Ready() implements Out {}
  }

  private final int maxPcmSamples;
  private final int maxOggBytes;

  /**
   * @param maxPcmSamples the most samples one {@code Audio} message may carry
   * @param maxOggBytes the most bytes one {@code OggOpus} message may carry
   */
  public AsrMessages(int maxPcmSamples, int maxOggBytes) {
    if (maxPcmSamples < 1 || maxOggBytes < 1) {
      throw new IllegalArgumentException("bounds must be positive");
    }
    this.maxPcmSamples = maxPcmSamples;
    this.maxOggBytes = maxOggBytes;
  }

  /** Bounds of {@link #DEFAULT_MAX_PCM_SAMPLES} samples and {@link #DEFAULT_MAX_OGG_BYTES} bytes. */
  public static AsrMessages withDefaults() {
    return new AsrMessages(DEFAULT_MAX_PCM_SAMPLES, DEFAULT_MAX_OGG_BYTES);
  }

  public int maxPcmSamples() {
    return maxPcmSamples;
  }

  // ---- encoding --------------------------------------------------------------------------------

  /** The bytes of a server message, as moshi-server sends them. */
  public static byte[] encode(Out message) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      if (message instanceof Out.Word m) {
        header(p, "Word", 2).packString("text").packString(m.text()).packString("start_time").packDouble(m.startTime());
      } else if (message instanceof Out.EndWord m) {
        header(p, "EndWord", 1).packString("stop_time").packDouble(m.stopTime());
      } else if (message instanceof Out.Marker m) {
        header(p, "Marker", 1).packString("id").packLong(m.id());
      } else if (message instanceof Out.Step m) {
        header(p, "Step", 3).packString("step_idx").packLong(m.stepIdx()).packString("prs");
        p.packArrayHeader(m.prs().length);
        for (float x : m.prs()) {
          p.packFloat(x);
        }
        p.packString("buffered_pcm").packLong(m.bufferedPcm());
      } else if (message instanceof Out.Error m) {
        header(p, "Error", 1).packString("message").packString(m.message());
      } else if (message instanceof Out.Ready) {
        header(p, "Ready", 0);
      }
      return p.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("in-memory packing failed", e);
    }
  }

  /** The bytes of a client message, as Kyutai's clients send them (samples as float 32, Ogg data as bin). */
  public static byte[] encode(In message) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      if (message instanceof In.Audio m) {
        header(p, "Audio", 1).packString("pcm").packArrayHeader(m.pcm().length);
        for (float x : m.pcm()) {
          p.packFloat(x);
        }
      } else if (message instanceof In.OggOpus m) {
        header(p, "OggOpus", 1).packString("data").packBinaryHeader(m.data().length);
        p.writePayload(m.data());
      } else if (message instanceof In.Marker m) {
        header(p, "Marker", 1).packString("id").packLong(m.id());
      } else if (message instanceof In.Init) {
        header(p, "Init", 0);
      }
      return p.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("in-memory packing failed", e);
    }
  }

  private static MessageBufferPacker header(MessageBufferPacker p, String type, int fields) throws IOException {
    p.packMapHeader(fields + 1).packString("type").packString(type);
    return p;
  }

  /** A {@link Out.Step} for an engine step (the pause probabilities as they are; buffered samples). */
  public static Out.Step step(SttStep step) {
    return new Out.Step(step.index(), step.pauseProbabilities(), step.bufferedSamples());
  }

  // ---- decoding --------------------------------------------------------------------------------

  /** Parses a client message. */
  public In decodeIn(byte[] bytes) throws AsrProtocolException {
    Fields f = parse(bytes);
    switch (f.type) {
      case "Audio":
        if (f.pcm == null) {
          throw new AsrProtocolException("Audio message without its pcm field");
        }
        return new In.Audio(f.pcm);
      case "OggOpus":
        if (f.data == null) {
          throw new AsrProtocolException("OggOpus message without its data field");
        }
        return new In.OggOpus(f.data);
      case "Marker":
        return new In.Marker(f.requireId());
      case "Init":
        return new In.Init();
      default:
        throw new AsrProtocolException("unknown message type '" + f.type + "' (expected Audio, OggOpus, Marker or Init)");
    }
  }

  /** Parses a server message (for clients and tests). */
  public Out decodeOut(byte[] bytes) throws AsrProtocolException {
    Fields f = parse(bytes);
    switch (f.type) {
      case "Word":
        return new Out.Word(f.require(f.text, "text"), f.require(f.startTime, "start_time"));
      case "EndWord":
        return new Out.EndWord(f.require(f.stopTime, "stop_time"));
      case "Marker":
        return new Out.Marker(f.requireId());
      case "Step":
        return new Out.Step(f.require(f.stepIdx, "step_idx"), f.require(f.prs, "prs"),
            f.require(f.bufferedPcm, "buffered_pcm"));
      case "Error":
        return new Out.Error(f.require(f.message, "message"));
      case "Ready":
        return new Out.Ready();
      default:
        throw new AsrProtocolException("unknown message type '" + f.type
            + "' (expected Word, EndWord, Marker, Step, Error or Ready)");
    }
  }

  /** Every field either direction knows, read in any order. */
  private static final class Fields {
    String type;
    float[] pcm;
    byte[] data;
    Long id;
    String text;
    Double startTime;
    Double stopTime;
    Long stepIdx;
    float[] prs;
    Long bufferedPcm;
    String message;

    <T> T require(T value, String name) throws AsrProtocolException {
      if (value == null) {
        throw new AsrProtocolException(type + " message without its " + name + " field");
      }
      return value;
    }

    long requireId() throws AsrProtocolException {
      return require(id, "id");
    }
  }

  private static final List<String> KNOWN = List.of("type", "pcm", "data", "id", "text", "start_time", "stop_time",
      "step_idx", "prs", "buffered_pcm", "message");

  private Fields parse(byte[] bytes) throws AsrProtocolException {
    if (bytes.length == 0) {
      throw new AsrProtocolException("empty message: expected a MessagePack map");
    }
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
      MessageFormat first = u.getNextFormat();
      if (first == MessageFormat.NEVER_USED || first.getValueType() != ValueType.MAP) {
        throw new AsrProtocolException("not a MessagePack map (the message starts with "
            + describe(first) + "): every message is a map with a \"type\" field");
      }
      int n = u.unpackMapHeader();
      Fields f = new Fields();
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < n; i++) {
        MessageFormat kf = u.getNextFormat();
        if (kf.getValueType() != ValueType.STRING) {
          throw new AsrProtocolException("map key " + i + " is " + describe(kf) + ", not a string");
        }
        String key = u.unpackString();
        if (!seen.add(key)) {
          throw new AsrProtocolException("duplicate field '" + key + "'");
        }
        if (!KNOWN.contains(key)) {
          u.skipValue(); // ignored, as serde ignores unknown fields
          continue;
        }
        readField(u, key, f);
      }
      if (u.hasNext()) {
        throw new AsrProtocolException("trailing bytes after the message map");
      }
      if (f.type == null) {
        throw new AsrProtocolException("message without a \"type\" field");
      }
      return f;
    } catch (MessageInsufficientBufferException e) {
      throw new AsrProtocolException("truncated MessagePack message", e);
    } catch (MessageFormatException e) {
      throw new AsrProtocolException("not valid MessagePack: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new AsrProtocolException("unreadable MessagePack message: " + e.getMessage(), e);
    }
  }

  private void readField(MessageUnpacker u, String key, Fields f) throws IOException, AsrProtocolException {
    switch (key) {
      case "type" -> f.type = string(u, key);
      case "text" -> f.text = string(u, key);
      case "message" -> f.message = string(u, key);
      case "pcm" -> f.pcm = floats(u, key, maxPcmSamples);
      case "prs" -> f.prs = floats(u, key, 1024);
      case "data" -> f.data = bytes(u, key);
      case "id" -> f.id = integer(u, key, false);
      case "step_idx" -> f.stepIdx = integer(u, key, true);
      case "buffered_pcm" -> f.bufferedPcm = integer(u, key, true);
      case "start_time" -> f.startTime = number(u, key);
      case "stop_time" -> f.stopTime = number(u, key);
      default -> throw new IllegalStateException(key);
    }
  }

  private static String string(MessageUnpacker u, String key) throws IOException, AsrProtocolException {
    MessageFormat fmt = u.getNextFormat();
    if (fmt.getValueType() != ValueType.STRING) {
      throw new AsrProtocolException("field '" + key + "' must be a string, got " + describe(fmt));
    }
    return u.unpackString();
  }

  private static long integer(MessageUnpacker u, String key, boolean unsigned) throws IOException,
      AsrProtocolException {
    MessageFormat fmt = u.getNextFormat();
    if (fmt.getValueType() != ValueType.INTEGER) {
      throw new AsrProtocolException("field '" + key + "' must be an integer, got " + describe(fmt));
    }
    long v;
    try {
      v = u.unpackLong();
    } catch (MessageIntegerOverflowException e) {
      throw new AsrProtocolException("field '" + key + "' is out of the 64-bit signed range", e);
    }
    if (unsigned && v < 0) {
      throw new AsrProtocolException("field '" + key + "' must not be negative, got " + v);
    }
    return v;
  }

  private static double number(MessageUnpacker u, String key) throws IOException, AsrProtocolException {
    MessageFormat fmt = u.getNextFormat();
    double v;
    if (fmt.getValueType() == ValueType.FLOAT) {
      v = u.unpackDouble();
    } else if (fmt.getValueType() == ValueType.INTEGER) {
      v = integer(u, key, false);
    } else {
      throw new AsrProtocolException("field '" + key + "' must be a number, got " + describe(fmt));
    }
    if (!Double.isFinite(v)) {
      throw new AsrProtocolException("field '" + key + "' is " + v);
    }
    return v;
  }

  private static float[] floats(MessageUnpacker u, String key, int max) throws IOException, AsrProtocolException {
    MessageFormat fmt = u.getNextFormat();
    if (fmt.getValueType() != ValueType.ARRAY) {
      throw new AsrProtocolException("field '" + key + "' must be an array of numbers, got " + describe(fmt));
    }
    int n = u.unpackArrayHeader();
    if (n > max) {
      throw new AsrProtocolException("field '" + key + "' holds " + n + " values, more than the limit of " + max
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
        x = (float) integer(u, key, false);
      } else {
        throw new AsrProtocolException(key + "[" + i + "] must be a number, got " + describe(ef));
      }
      if (!Float.isFinite(x)) {
        throw new AsrProtocolException(key + "[" + i + "] is " + x + ": samples and probabilities must be finite");
      }
      out[i] = x;
    }
    return out;
  }

  private byte[] bytes(MessageUnpacker u, String key) throws IOException, AsrProtocolException {
    MessageFormat fmt = u.getNextFormat();
    if (fmt.getValueType() == ValueType.BINARY) {
      int n = u.unpackBinaryHeader();
      if (n > maxOggBytes) {
        throw new AsrProtocolException("field '" + key + "' holds " + n + " bytes, more than the limit of "
            + maxOggBytes + " per message");
      }
      return u.readPayload(n);
    }
    if (fmt.getValueType() == ValueType.ARRAY) { // serde's default form of Vec<u8>
      int n = u.unpackArrayHeader();
      if (n > maxOggBytes) {
        throw new AsrProtocolException("field '" + key + "' holds " + n + " bytes, more than the limit of "
            + maxOggBytes + " per message");
      }
      byte[] out = new byte[n];
      for (int i = 0; i < n; i++) {
        MessageFormat ef = u.getNextFormat();
        long v = ef.getValueType() == ValueType.INTEGER ? u.unpackLong() : -1;
        if (v < 0 || v > 255) {
          throw new AsrProtocolException(key + "[" + i + "] must be a byte (0..255)");
        }
        out[i] = (byte) v;
      }
      return out;
    }
    throw new AsrProtocolException("field '" + key + "' must be binary data, got " + describe(fmt));
  }

  private static String describe(MessageFormat fmt) {
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
