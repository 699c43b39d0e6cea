package dev.parley.client.kyutai;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Joins the fragments of binary WebSocket messages ({@code onBinary(data, last)}) into whole
 * messages, refusing any that grows past a limit so a broken peer cannot exhaust memory. Not
 * thread-safe (the WebSocket delivers one fragment at a time).
 */
final class MessageAssembler {
  private final int maxMessageBytes;
  private byte[] buf = new byte[8192];
  private int length;

  MessageAssembler(int maxMessageBytes) {
    this.maxMessageBytes = maxMessageBytes;
  }

  /**
   * Adds one fragment.
   *
   * @return the whole message if {@code last}, else null
   * @throws IllegalStateException if the message grows past the limit
   */
  byte[] add(ByteBuffer fragment, boolean last) {
    int n = fragment.remaining();
    if ((long) length + n > maxMessageBytes) {
      length = 0;
      throw new IllegalStateException(
          "WebSocket message larger than " + maxMessageBytes + " bytes");
    }
    if (length + n > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, length + n));
    }
    fragment.get(buf, length, n);
    length += n;
    if (!last) {
      return null;
    }
    byte[] message = Arrays.copyOf(buf, length);
    length = 0;
    return message;
  }
}
