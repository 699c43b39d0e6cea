package dev.parley.server.wire;

import java.io.IOException;
import java.util.List;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * The MessagePack messages of moshi-server's streaming TTS WebSocket ({@code /api/tts_streaming},
 * the {@code Py} module: {@code py_module.rs InMsg} in, {@code tts.rs OutMsg} out). One message per
 * binary frame: a map tagged by its {@code "type"} field, written as {@code rmp_serde} with struct
 * maps writes it — {@code "type"} first, then the fields in declaration order; {@code f64} times as
 * float 64, {@code f32} samples as float 32, integers in their shortest form and Ogg data ({@code
 * Vec<u8>}, which serde writes as a sequence) as an array of byte values.
 *
 * <p>Decoding is as lenient as serde where that is harmless (fields in any order, unknown fields
 * ignored, numbers as float 32, float 64 or integers, Ogg data as bin or as an array of bytes) and
 * strict elsewhere: anything that is not one well-formed map with a known {@code type} and fields
 * of the right types, non-finite values, and arrays past the bounds are refused with a {@link
 * ProtocolException} whose message can go back to the client in an {@link Out.Error}. Instances are
 * immutable and thread-safe.
 */
public final class TtsMessages {
  /** Bound on the values of one {@code Voice} embedding (Kyutai's are [1, 512, 125]: 64 000). */
  public static final int MAX_EMBEDDING_VALUES = 1 << 21;

  /** Bound on the samples of one {@code Audio} message (10 s at 24 kHz). */
  public static final int MAX_PCM_SAMPLES = 240_000;

  /** Bound on the bytes of one {@code OggOpus} message. */
  public static final int MAX_OGG_BYTES = 1 << 20;

  private static final int MAX_SHAPE_DIMS = 8;

  private static final TtsMessages DEFAULT = new TtsMessages();

  /** Client to server ({@code InMsg}). */
  public sealed interface In permits In.Text, In.Voice, In.Eos {
    /** Words to speak (whole words: the message ends a word). */
    record Text(String text) implements In {}

    /**
     * A voice embedding ({@code speaker_wavs} values, row-major) and its shape, sent before the
     * first text.
     */
    record Voice(float[] embeddings, long[] shape) implements In {}

    /** No more text. */
    record Eos() implements In {}
  }

  /** Server to client ({@code OutMsg}). */
  public sealed interface Out permits Out.Text, Out.Audio, Out.OggOpus, Out.Error, Out.Ready {
    /** A spoken word and its times in seconds. */
    record Text(String text, double startS, double stopS) implements Out {}

    /** One frame of 24 kHz mono samples. */
    record Audio(float[] pcm) implements Out {}

    /** Ogg Opus bytes: the stream's header pages first, then a page per frame. */
    record OggOpus(byte[] data) implements Out {}

    /** Something went wrong; the server closes the stream. */
    record Error(String message) implements Out {}

    /** A synthesis slot is held: the client may send. */
    record Ready() implements Out {}
  }

  /** A message that breaks the protocol; its text says what is wrong, for the client. */
  public static final class ProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
      super(message);
    }

    public ProtocolException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private TtsMessages() {}

  public static TtsMessages get() {
    return DEFAULT;
  }

  // ---- encoding --------------------------------------------------------------------------------

  /** The bytes of a server message, as moshi-server sends them. */
  public static byte[] encode(Out message) {
    if (message instanceof Out.Text m) {
      return MessagePackOut.message(
          "Text",
          3,
          p ->
              p.packString("text")
                  .packString(m.text())
                  .packString("start_s")
                  .packDouble(m.startS())
                  .packString("stop_s")
                  .packDouble(m.stopS()));
    } else if (message instanceof Out.Audio m) {
      return MessagePackOut.message("Audio", 1, p -> MessagePackOut.floats(p, "pcm", m.pcm()));
    } else if (message instanceof Out.OggOpus m) {
      return MessagePackOut.message(
          "OggOpus",
          1,
          p -> {
            p.packString("data").packArrayHeader(m.data().length);
            for (byte b : m.data()) {
              p.packInt(b & 0xff);
            }
          });
    } else if (message instanceof Out.Error m) {
      return MessagePackOut.error(m.message());
    } else {
      return MessagePackOut.ready();
    }
  }

  /** The bytes of a client message, as Kyutai's clients send them (embeddings as float 32). */
  public static byte[] encode(In message) {
    if (message instanceof In.Text m) {
      return MessagePackOut.message("Text", 1, p -> p.packString("text").packString(m.text()));
    } else if (message instanceof In.Voice m) {
      return MessagePackOut.message(
          "Voice",
          2,
          p -> {
            MessagePackOut.floats(p, "embeddings", m.embeddings());
            p.packString("shape").packArrayHeader(m.shape().length);
            for (long d : m.shape()) {
              p.packLong(d);
            }
          });
    } else {
      return MessagePackOut.message("Eos", 0, p -> {});
    }
  }

  // ---- decoding --------------------------------------------------------------------------------

  /** Parses a client message. */
  public In decodeIn(byte[] bytes) throws ProtocolException {
    Fields f = parse(bytes);
    switch (f.type) {
      case "Text":
        return new In.Text(f.require(f.text, "text"));
      case "Voice":
        return new In.Voice(f.require(f.embeddings, "embeddings"), f.require(f.shape, "shape"));
      case "Eos":
        return new In.Eos();
      default:
        throw new ProtocolException(
            "unknown message type '" + f.type + "' (expected Text, Voice or Eos)");
    }
  }

  /** Parses a server message (for clients and tests). */
  public Out decodeOut(byte[] bytes) throws ProtocolException {
    Fields f = parse(bytes);
    switch (f.type) {
      case "Text":
        return new Out.Text(
            f.require(f.text, "text"),
            f.require(f.startS, "start_s"),
            f.require(f.stopS, "stop_s"));
      case "Audio":
        return new Out.Audio(f.require(f.pcm, "pcm"));
      case "OggOpus":
        return new Out.OggOpus(f.require(f.data, "data"));
      case "Error":
        return new Out.Error(f.require(f.message, "message"));
      case "Ready":
        return new Out.Ready();
      default:
        throw new ProtocolException(
            "unknown message type '"
                + f.type
                + "' (expected Text, Audio, OggOpus, Error or Ready)");
    }
  }

  /** Every field either direction knows, read in any order. */
  private static final class Fields {
    String type;
    String text;
    float[] embeddings;
    long[] shape;
    float[] pcm;
    byte[] data;
    Double startS;
    Double stopS;
    String message;

    <T> T require(T value, String name) throws ProtocolException {
      if (value == null) {
        throw new ProtocolException(type + " message without its " + name + " field");
      }
      return value;
    }
  }

  private static final List<String> KNOWN =
      List.of("type", "text", "embeddings", "shape", "pcm", "data", "start_s", "stop_s", "message");

  private static Fields parse(byte[] bytes) throws ProtocolException {
    Fields f = new Fields();
    try {
      MessagePackMap.read(
          bytes,
          KNOWN,
          "every binary message is a map with a \"type\" field, or the single byte 0 "
              + "for the end of text",
          (u, key) -> readField(u, key, f));
    } catch (MalformedMessageException e) {
      throw new ProtocolException(e.getMessage(), e);
    }
    if (f.type == null) {
      throw new ProtocolException("message without a \"type\" field");
    }
    return f;
  }

  private static void readField(MessageUnpacker u, String key, Fields f)
      throws IOException, MalformedMessageException {
    switch (key) {
      case "type" -> f.type = MessagePackMap.string(u, key);
      case "text" -> f.text = MessagePackMap.string(u, key);
      case "message" -> f.message = MessagePackMap.string(u, key);
      case "embeddings" -> f.embeddings = MessagePackMap.floats(u, key, MAX_EMBEDDING_VALUES);
      case "pcm" -> f.pcm = MessagePackMap.floats(u, key, MAX_PCM_SAMPLES);
      case "shape" -> f.shape = shape(u, key);
      case "data" -> f.data = MessagePackMap.bytes(u, key, MAX_OGG_BYTES);
      case "start_s" -> f.startS = MessagePackMap.number(u, key);
      case "stop_s" -> f.stopS = MessagePackMap.number(u, key);
      default -> throw new IllegalStateException(key);
    }
  }

  private static long[] shape(MessageUnpacker u, String key)
      throws IOException, MalformedMessageException {
    MessageFormat fmt = u.getNextFormat();
    if (fmt.getValueType() != ValueType.ARRAY) {
      throw new MalformedMessageException(
          "field '" + key + "' must be an array of sizes, got " + MessagePackMap.describe(fmt));
    }
    int n = u.unpackArrayHeader();
    if (n > MAX_SHAPE_DIMS) {
      throw new MalformedMessageException(
          "field '" + key + "' has " + n + " dimensions, more than " + MAX_SHAPE_DIMS);
    }
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = MessagePackMap.integer(u, key + "[" + i + "]", /* unsigned= */ true);
    }
    return out;
  }
}
