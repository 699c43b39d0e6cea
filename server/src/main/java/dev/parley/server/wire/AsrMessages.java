package dev.parley.server.wire;

import dev.parley.server.stt.SttStep;
import java.io.IOException;
import java.util.List;
import org.msgpack.core.MessageUnpacker;

/**
 * The MessagePack messages of moshi-server's streaming transcription WebSocket ({@code
 * /api/asr-streaming}, {@code rust/moshi-server/src/asr.rs} {@code InMsg}/{@code OutMsg}): one
 * message per binary frame, a map tagged by its {@code "type"} field, encoded as {@code rmp_serde}
 * with struct maps encodes it — {@code "type"} first, then the fields in declaration order; {@code
 * f64} times as float 64, {@code f32} probabilities and samples as float 32, integers in their
 * shortest form, Ogg data as bin.
 *
 * <p>Decoding is as lenient as the reference's serde decoding where that is harmless (fields in any
 * order, unknown fields ignored, samples as float 32, float 64 or integers, Ogg data as bin or as
 * an array of bytes) and strict elsewhere: anything that is not one well-formed MessagePack map
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
  public sealed interface Out
      permits Out.Word, Out.EndWord, Out.Marker, Out.Step, Out.Error, Out.Ready {
    /** A word and when it starts, in seconds from the start of the client's audio. */
    record Word(String text, double startTime) implements Out {}

    /** The last word ends at {@code stopTime} seconds. */
    record EndWord(double stopTime) implements Out {}

    /** The marker {@code id} the client sent. */
    record Marker(long id) implements Out {}

    /**
     * One model step: its index, each extra head's pause probability, and the samples still
     * waiting.
     */
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

  /**
   * Bounds of {@link #DEFAULT_MAX_PCM_SAMPLES} samples and {@link #DEFAULT_MAX_OGG_BYTES} bytes.
   */
  public static AsrMessages withDefaults() {
    return new AsrMessages(DEFAULT_MAX_PCM_SAMPLES, DEFAULT_MAX_OGG_BYTES);
  }

  public int maxPcmSamples() {
    return maxPcmSamples;
  }

  // ---- encoding --------------------------------------------------------------------------------

  /** The bytes of a server message, as moshi-server sends them. */
  public static byte[] encode(Out message) {
    if (message instanceof Out.Word m) {
      return MessagePackOut.message(
          "Word",
          2,
          p ->
              p.packString("text")
                  .packString(m.text())
                  .packString("start_time")
                  .packDouble(m.startTime()));
    } else if (message instanceof Out.EndWord m) {
      return MessagePackOut.message(
          "EndWord", 1, p -> p.packString("stop_time").packDouble(m.stopTime()));
    } else if (message instanceof Out.Marker m) {
      return MessagePackOut.message("Marker", 1, p -> p.packString("id").packLong(m.id()));
    } else if (message instanceof Out.Step m) {
      return MessagePackOut.message(
          "Step",
          3,
          p -> {
            p.packString("step_idx").packLong(m.stepIdx());
            MessagePackOut.floats(p, "prs", m.prs());
            p.packString("buffered_pcm").packLong(m.bufferedPcm());
          });
    } else if (message instanceof Out.Error m) {
      return MessagePackOut.error(m.message());
    } else {
      return MessagePackOut.ready();
    }
  }

  /**
   * The bytes of a client message, as Kyutai's clients send them (samples as float 32, Ogg data as
   * bin).
   */
  public static byte[] encode(In message) {
    if (message instanceof In.Audio m) {
      return MessagePackOut.message("Audio", 1, p -> MessagePackOut.floats(p, "pcm", m.pcm()));
    } else if (message instanceof In.OggOpus m) {
      return MessagePackOut.message(
          "OggOpus",
          1,
          p -> {
            p.packString("data").packBinaryHeader(m.data().length);
            p.writePayload(m.data());
          });
    } else if (message instanceof In.Marker m) {
      return MessagePackOut.message("Marker", 1, p -> p.packString("id").packLong(m.id()));
    } else {
      return MessagePackOut.message("Init", 0, p -> {});
    }
  }

  /**
   * A {@link Out.Step} for an engine step (the pause probabilities as they are; buffered samples).
   */
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
        throw new AsrProtocolException(
            "unknown message type '" + f.type + "' (expected Audio, OggOpus, Marker or Init)");
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
        return new Out.Step(
            f.require(f.stepIdx, "step_idx"),
            f.require(f.prs, "prs"),
            f.require(f.bufferedPcm, "buffered_pcm"));
      case "Error":
        return new Out.Error(f.require(f.message, "message"));
      case "Ready":
        return new Out.Ready();
      default:
        throw new AsrProtocolException(
            "unknown message type '"
                + f.type
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

  private static final List<String> KNOWN =
      List.of(
          "type",
          "pcm",
          "data",
          "id",
          "text",
          "start_time",
          "stop_time",
          "step_idx",
          "prs",
          "buffered_pcm",
          "message");

  private Fields parse(byte[] bytes) throws AsrProtocolException {
    Fields f = new Fields();
    try {
      MessagePackMap.read(
          bytes,
          KNOWN,
          "every message is a map with a \"type\" field",
          (u, key) -> readField(u, key, f));
    } catch (MalformedMessageException e) {
      throw new AsrProtocolException(e.getMessage(), e);
    }
    if (f.type == null) {
      throw new AsrProtocolException("message without a \"type\" field");
    }
    return f;
  }

  private void readField(MessageUnpacker u, String key, Fields f)
      throws IOException, MalformedMessageException {
    switch (key) {
      case "type" -> f.type = MessagePackMap.string(u, key);
      case "text" -> f.text = MessagePackMap.string(u, key);
      case "message" -> f.message = MessagePackMap.string(u, key);
      case "pcm" -> f.pcm = MessagePackMap.floats(u, key, maxPcmSamples);
      case "prs" -> f.prs = MessagePackMap.floats(u, key, 1024);
      case "data" -> f.data = MessagePackMap.bytes(u, key, maxOggBytes);
      case "id" -> f.id = MessagePackMap.integer(u, key, /* unsigned= */ false);
      case "step_idx" -> f.stepIdx = MessagePackMap.integer(u, key, /* unsigned= */ true);
      case "buffered_pcm" -> f.bufferedPcm = MessagePackMap.integer(u, key, /* unsigned= */ true);
      case "start_time" -> f.startTime = MessagePackMap.number(u, key);
      case "stop_time" -> f.stopTime = MessagePackMap.number(u, key);
      default -> throw new IllegalStateException(key);
    }
  }
}
