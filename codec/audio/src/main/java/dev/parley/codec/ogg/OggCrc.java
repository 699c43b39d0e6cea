package dev.parley.codec.ogg;

/**
 * The Ogg page checksum (RFC 3533 §6): CRC-32 with polynomial 0x04C11DB7, initial value 0, no bit
 * reflection and no final XOR — not the zip CRC-32 that {@link java.util.zip.CRC32} computes.
 */
final class OggCrc {
  private static final int[] TABLE = new int[256];

  static {
    for (int i = 0; i < 256; i++) {
      int r = i << 24;
      for (int bit = 0; bit < 8; bit++) {
        r = (r & 0x80000000) != 0 ? (r << 1) ^ 0x04C11DB7 : r << 1;
      }
      TABLE[i] = r;
    }
  }

  private OggCrc() {}

  static int update(int crc, byte[] data, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      crc = (crc << 8) ^ TABLE[((crc >>> 24) ^ data[i]) & 0xFF];
    }
    return crc;
  }
}
