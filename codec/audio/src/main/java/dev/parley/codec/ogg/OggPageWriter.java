package dev.parley.codec.ogg;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the pages of one Ogg logical stream (RFC 3533), a page at a time, so each page can be sent
 * the moment it is complete. Packets too long for one page continue on the next.
 */
public final class OggPageWriter {
  static final int HEADER_BYTES = 27;
  static final int MAX_SEGMENTS = 255;

  private static final int FLAG_CONTINUED = 0x01;
  private static final int FLAG_BOS = 0x02;
  private static final int FLAG_EOS = 0x04;

  private final int serial;
  private long sequence;
  private boolean started;
  private boolean ended;

  public OggPageWriter(int serial) {
    this.serial = serial;
  }

  public int serial() {
    return serial;
  }

  /** Pages written so far. */
  public long pagesWritten() {
    return sequence;
  }

  /**
   * Puts {@code packets} on as few pages as the 255-segment limit allows and returns them, one byte
   * array per page. The first page ever written carries the BOS flag.
   *
   * @param granules {@code granules[i]} is the granule position after packet {@code i}; a page
   *     takes the granule of the last packet that completes on it, or -1 when none does (RFC 3533)
   * @param endOfStream whether the last page returned ends the stream
   */
  public List<byte[]> writePackets(List<byte[]> packets, long[] granules, boolean endOfStream) {
    if (ended) {
      throw new IllegalStateException("the stream was already ended by an EOS page");
    }
    if (granules.length != packets.size()) {
      throw new IllegalArgumentException(
          "need one granule per packet: "
              + granules.length
              + " granules for "
              + packets.size()
              + " packets");
    }
    // Lacing: each packet becomes floor(len/255) segments of 255 plus one terminating segment <
    // 255.
    List<int[]> segments = new ArrayList<>(); // {packetIndex, offset, length}
    for (int p = 0; p < packets.size(); p++) {
      byte[] packet = packets.get(p);
      int off = 0;
      while (packet.length - off >= 255) {
        segments.add(new int[] {p, off, 255});
        off += 255;
      }
      segments.add(new int[] {p, off, packet.length - off});
    }
    List<byte[]> pages = new ArrayList<>();
    boolean continued = false;
    int start = 0;
    do {
      int end = Math.min(start + MAX_SEGMENTS, segments.size());
      long granule = -1;
      for (int s = start; s < end; s++) {
        if (segments.get(s)[2] < 255) {
          granule = granules[segments.get(s)[0]];
        }
      }
      boolean last = end == segments.size();
      pages.add(
          page(packets, segments.subList(start, end), granule, continued, last && endOfStream));
      continued = end > start && segments.get(end - 1)[2] == 255;
      start = end;
    } while (start < segments.size());
    ended = endOfStream;
    return pages;
  }

  private byte[] page(
      List<byte[]> packets, List<int[]> segments, long granule, boolean continued, boolean eos) {
    int payload = 0;
    for (int[] seg : segments) {
      payload += seg[2];
    }
    byte[] page = new byte[HEADER_BYTES + segments.size() + payload];
    page[0] = 'O';
    page[1] = 'g';
    page[2] = 'g';
    page[3] = 'S';
    page[4] = 0; // stream structure version
    int flags = (continued ? FLAG_CONTINUED : 0) | (started ? 0 : FLAG_BOS) | (eos ? FLAG_EOS : 0);
    page[5] = (byte) flags;
    putLong(page, 6, granule);
    putInt(page, 14, serial);
    putInt(page, 18, (int) sequence);
    page[26] = (byte) segments.size();
    int pos = HEADER_BYTES;
    for (int[] seg : segments) {
      page[pos++] = (byte) seg[2];
    }
    for (int[] seg : segments) {
      System.arraycopy(packets.get(seg[0]), seg[1], page, pos, seg[2]);
      pos += seg[2];
    }
    putInt(page, 22, OggCrc.update(0, page, 0, page.length));
    started = true;
    sequence++;
    return page;
  }

  /** Concatenates pages, for callers that write to a file rather than a message stream. */
  public static byte[] concat(List<byte[]> pages) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] page : pages) {
      out.writeBytes(page);
    }
    return out.toByteArray();
  }

  static void putInt(byte[] b, int at, int v) {
    b[at] = (byte) v;
    b[at + 1] = (byte) (v >>> 8);
    b[at + 2] = (byte) (v >>> 16);
    b[at + 3] = (byte) (v >>> 24);
  }

  static void putLong(byte[] b, int at, long v) {
    putInt(b, at, (int) v);
    putInt(b, at + 4, (int) (v >>> 32));
  }
}
