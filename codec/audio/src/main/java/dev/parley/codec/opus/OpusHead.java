package dev.parley.codec.opus;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The Ogg Opus identification header (RFC 7845 §5.1). Parley reads and writes channel mapping
 * family 0 only: one Opus stream, mono or stereo, which is what browsers, opusenc and Kyutai's
 * servers produce for speech.
 *
 * @param channels output channel count (1 or 2)
 * @param preSkip samples at 48 kHz to drop from the start of the decoded output
 * @param inputSampleRate the encoder's input rate, informational only (0 when unknown)
 * @param outputGainQ8 gain to apply on output, in dB as Q7.8 fixed point
 * @param mappingFamily channel mapping family (only 0 is accepted)
 */
public record OpusHead(
    int channels, int preSkip, long inputSampleRate, int outputGainQ8, int mappingFamily) {
  static final byte[] MAGIC = "OpusHead".getBytes(StandardCharsets.US_ASCII);
  private static final int LENGTH = 19;

  public OpusHead {
    if (channels < 1 || channels > 2) {
      throw new IllegalArgumentException("channels must be 1 or 2, got " + channels);
    }
    if (preSkip < 0 || preSkip > 0xFFFF) {
      throw new IllegalArgumentException("pre-skip must fit 16 bits, got " + preSkip);
    }
  }

  /** Parses the first packet of an Ogg Opus stream. */
  public static OpusHead parse(byte[] packet) throws OpusStreamException {
    if (!startsWith(packet, MAGIC)) {
      throw new OpusStreamException(
          "the first packet is not an OpusHead header: it starts with "
              + printable(packet, MAGIC.length));
    }
    if (packet.length < LENGTH) {
      throw new OpusStreamException(
          "OpusHead is " + packet.length + " bytes, shorter than the 19 RFC 7845 requires");
    }
    ByteBuffer b = ByteBuffer.wrap(packet).order(ByteOrder.LITTLE_ENDIAN);
    int version = b.get(8) & 0xFF;
    if ((version >> 4) != 0) {
      throw new OpusStreamException(
          "unsupported OpusHead version " + version + " (major version must be 0)");
    }
    int channels = b.get(9) & 0xFF;
    int preSkip = b.getShort(10) & 0xFFFF;
    long inputRate = b.getInt(12) & 0xFFFFFFFFL;
    int gain = b.getShort(16);
    int family = b.get(18) & 0xFF;
    if (family != 0) {
      throw new OpusStreamException(
          "unsupported channel mapping family "
              + family
              + " with "
              + channels
              + " channels: only family 0 (mono or stereo) is supported");
    }
    if (channels < 1 || channels > 2) {
      throw new OpusStreamException(
          "OpusHead declares "
              + channels
              + " channels; channel mapping family 0 allows only 1 or 2");
    }
    return new OpusHead(channels, preSkip, inputRate, gain, family);
  }

  public byte[] toBytes() {
    ByteBuffer b = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC);
    b.put((byte) 1); // version
    b.put((byte) channels);
    b.putShort((short) preSkip);
    b.putInt((int) inputSampleRate);
    b.putShort((short) outputGainQ8);
    b.put((byte) mappingFamily);
    return b.array();
  }

  static boolean startsWith(byte[] packet, byte[] magic) {
    if (packet.length < magic.length) {
      return false;
    }
    for (int i = 0; i < magic.length; i++) {
      if (packet[i] != magic[i]) {
        return false;
      }
    }
    return true;
  }

  static String printable(byte[] packet, int max) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < Math.min(max, packet.length); i++) {
      int c = packet[i] & 0xFF;
      sb.append(c >= 0x20 && c < 0x7F ? String.valueOf((char) c) : String.format("\\x%02x", c));
    }
    return sb.append('"').toString();
  }
}
