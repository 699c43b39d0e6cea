package dev.parley.server.wire;

/**
 * Kyutai's {@code /api/chat} WebSocket protocol: every binary message is a kind byte followed by
 * its payload — Ogg Opus pages for audio (both ways), UTF-8 for text and errors, JSON for the
 * metadata.
 */
public final class ChatProtocol {
  public static final byte HANDSHAKE = 0x00;
  public static final byte AUDIO = 0x01;
  public static final byte TEXT = 0x02;
  public static final byte CONTROL = 0x03;
  public static final byte METADATA = 0x04;
  public static final byte ERROR = 0x05;
  public static final byte PING = 0x06;

  /** The handshake's payload: protocol version 0, model version 0 (two little-endian u32). */
  public static final byte[] HANDSHAKE_PAYLOAD = new byte[8];

  private ChatProtocol() {}

  /** One message: {@code kind} then {@code payload}. */
  public static byte[] encode(byte kind, byte[] payload) {
    byte[] m = new byte[1 + payload.length];
    m[0] = kind;
    System.arraycopy(payload, 0, m, 1, payload.length);
    return m;
  }
}
