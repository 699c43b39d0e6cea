package dev.parley.client.kyutai;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One binary message of Kyutai's {@code /api/chat} protocol: a kind byte, then the payload. Kinds
 * this client does not know decode to {@link Unknown} so they can be ignored, as the protocol asks.
 */
public sealed interface KyutaiMessage {
  byte HANDSHAKE = 0x00;
  byte AUDIO = 0x01;
  byte TEXT = 0x02;
  byte CONTROL = 0x03;
  byte METADATA = 0x04;
  byte ERROR = 0x05;
  byte PING = 0x06;

  /** The kind byte followed by the payload. */
  byte[] encode();

  /** Server's first message: protocol and model version bytes (clients ignore them). */
  record Handshake(byte[] payload) implements KyutaiMessage {
    @Override
    public byte[] encode() {
      return withKind(HANDSHAKE, payload);
    }
  }

  /** Ogg Opus bytes (24 kHz mono); normally one page, possibly several. */
  record Audio(byte[] oggBytes) implements KyutaiMessage {
    @Override
    public byte[] encode() {
      return withKind(AUDIO, oggBytes);
    }
  }

  /** A piece of the model's text; pieces are appended, never merged or split. */
  record Text(String text) implements KyutaiMessage {
    @Override
    public byte[] encode() {
      return withKind(TEXT, text.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** One control byte (0 start, 1 endTurn, 2 pause, 3 restart; unused in full streaming). */
  record Control(int action) implements KyutaiMessage {
    @Override
    public byte[] encode() {
      return new byte[] {CONTROL, (byte) action};
    }
  }

  /** A JSON document, kept as text. */
  record Metadata(String json) implements KyutaiMessage {
    @Override
    public byte[] encode() {
      return withKind(METADATA, json.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** The server's error message. */
  record Error(String message) implements KyutaiMessage {
    @Override
    public byte[] encode() {
      return withKind(ERROR, message.getBytes(StandardCharsets.UTF_8));
    }
  }

  record Ping() implements KyutaiMessage {
    @Override
    public byte[] encode() {
      return new byte[] {PING};
    }
  }

  /** A kind this client does not handle (colored text, images, codes, future kinds). */
  record Unknown(int kind, byte[] payload) implements KyutaiMessage {
    @Override
    public byte[] encode() {
      return withKind((byte) kind, payload);
    }
  }

  /**
   * Decodes one whole message.
   *
   * @throws IllegalArgumentException for an empty message, which has no kind
   */
  static KyutaiMessage decode(byte[] message) {
    if (message.length == 0) {
      throw new IllegalArgumentException("empty /api/chat message: no kind byte");
    }
    byte[] payload = Arrays.copyOfRange(message, 1, message.length);
    return switch (message[0]) {
      case HANDSHAKE -> new Handshake(payload);
      case AUDIO -> new Audio(payload);
      case TEXT -> new Text(utf8(payload));
      case CONTROL ->
          payload.length == 1 ? new Control(payload[0] & 0xFF) : new Unknown(CONTROL, payload);
      case METADATA -> new Metadata(utf8(payload));
      case ERROR -> new Error(utf8(payload));
      case PING -> new Ping();
      default -> new Unknown(message[0] & 0xFF, payload);
    };
  }

  private static byte[] withKind(byte kind, byte[] payload) {
    byte[] out = new byte[payload.length + 1];
    out[0] = kind;
    System.arraycopy(payload, 0, out, 1, payload.length);
    return out;
  }

  /** Malformed UTF-8 becomes U+FFFD rather than an exception: a bad piece must not end the chat. */
  private static String utf8(byte[] b) {
    return StandardCharsets.UTF_8.decode(ByteBuffer.wrap(b)).toString();
  }
}
