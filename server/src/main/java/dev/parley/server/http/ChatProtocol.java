package dev.parley.server.http;

/** Message kinds of Kyutai's {@code /api/chat} WebSocket protocol (first byte of every binary message). */
public final class ChatProtocol {
  public static final byte HANDSHAKE = 0x00;
  public static final byte AUDIO = 0x01;
  public static final byte TEXT = 0x02;
  public static final byte CONTROL = 0x03;
  public static final byte METADATA = 0x04;
  public static final byte ERROR = 0x05;
  public static final byte PING = 0x06;

  private ChatProtocol() {}
}
