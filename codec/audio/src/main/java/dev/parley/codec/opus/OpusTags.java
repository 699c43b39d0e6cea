package dev.parley.codec.opus;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The Ogg Opus comment header (RFC 7845 §5.2): a vendor string and "NAME=value" comments.
 *
 * @param vendor the encoder's name
 * @param comments user comments in the order they appear
 */
public record OpusTags(String vendor, List<String> comments) {
  static final byte[] MAGIC = "OpusTags".getBytes(StandardCharsets.US_ASCII);

  public OpusTags {
    comments = List.copyOf(comments);
  }

  public static OpusTags parse(byte[] packet) throws OpusStreamException {
    if (!OpusHead.startsWith(packet, MAGIC)) {
      throw new OpusStreamException(
          "the second packet is not an OpusTags header: it starts with "
              + OpusHead.printable(packet, MAGIC.length));
    }
    ByteBuffer b = ByteBuffer.wrap(packet).order(ByteOrder.LITTLE_ENDIAN);
    b.position(MAGIC.length);
    String vendor = string(b, "vendor string");
    long count = uint32(b, "comment count");
    // Each comment needs at least its 4-byte length, so a count beyond that is corrupt.
    if (count > b.remaining() / 4) {
      throw new OpusStreamException(
          "OpusTags claims " + count + " comments but only " + b.remaining() + " bytes remain");
    }
    List<String> comments = new ArrayList<>();
    for (long i = 0; i < count; i++) {
      comments.add(string(b, "comment " + i));
    }
    return new OpusTags(vendor, comments);
  }

  public byte[] toBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(MAGIC);
    writeString(out, vendor);
    writeInt(out, comments.size());
    for (String c : comments) {
      writeString(out, c);
    }
    return out.toByteArray();
  }

  private static long uint32(ByteBuffer b, String what) throws OpusStreamException {
    if (b.remaining() < 4) {
      throw new OpusStreamException("OpusTags truncated while reading the " + what);
    }
    return b.getInt() & 0xFFFFFFFFL;
  }

  private static String string(ByteBuffer b, String what) throws OpusStreamException {
    long length = uint32(b, "length of the " + what);
    if (length > b.remaining()) {
      throw new OpusStreamException(
          "OpusTags "
              + what
              + " claims "
              + length
              + " bytes but only "
              + b.remaining()
              + " remain");
    }
    byte[] bytes = new byte[(int) length];
    b.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static void writeString(ByteArrayOutputStream out, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    writeInt(out, bytes.length);
    out.writeBytes(bytes);
  }

  private static void writeInt(ByteArrayOutputStream out, int v) {
    out.write(v);
    out.write(v >>> 8);
    out.write(v >>> 16);
    out.write(v >>> 24);
  }
}
