package dev.parley.codec.ogg;

import dev.parley.codec.audio.AudioFormatException;
import java.util.Arrays;

/**
 * A push parser for one Ogg logical stream (RFC 3533). Bytes may arrive split anywhere — a page may
 * span WebSocket messages and a message may hold several pages — and each packet is handed to the
 * sink as soon as the page that completes it has arrived and its CRC checks out.
 *
 * <p>Memory is bounded: one page buffer of {@link #MAX_PAGE_BYTES} plus one packet of at most
 * {@code maxPacketBytes}. Anything malformed raises an {@link OggFormatException} naming the
 * problem and the byte offset; the reader is then unusable.
 *
 * <p>Not thread-safe: one reader per stream, fed from one thread at a time.
 */
public final class OggPacketReader {
  /** The largest possible page: 27-byte header, 255 lacing values, 255 segments of 255 bytes. */
  public static final int MAX_PAGE_BYTES = OggPageWriter.HEADER_BYTES + 255 + 255 * 255;

  /** Default packet limit: far above any Opus packet (at most 61,440 bytes) and ordinary tags. */
  public static final int DEFAULT_MAX_PACKET_BYTES = 1 << 20;

  private static final byte[] CAPTURE = {'O', 'g', 'g', 'S'};

  private final int maxPacketBytes;
  private final byte[] page = new byte[MAX_PAGE_BYTES];
  private int have;
  private int need = OggPageWriter.HEADER_BYTES;
  private boolean lacingRead;

  private long streamOffset; // of the current page's first byte
  private long pagesRead;
  private int serial;
  private long nextSequence;
  private boolean ended;
  private long lostPages;
  private boolean discontinuity;
  private OggFormatException failure;

  private byte[] packet = new byte[4096];
  private int packetLength;
  private boolean packetOpen;
  private boolean nextPacketIsFirst = true;

  public OggPacketReader() {
    this(DEFAULT_MAX_PACKET_BYTES);
  }

  public OggPacketReader(int maxPacketBytes) {
    if (maxPacketBytes <= 0) {
      throw new IllegalArgumentException("maxPacketBytes must be positive, got " + maxPacketBytes);
    }
    this.maxPacketBytes = maxPacketBytes;
  }

  public void feed(byte[] data, OggPacketSink sink) throws AudioFormatException {
    feed(data, 0, data.length, sink);
  }

  /** Consumes {@code length} bytes, handing every packet they complete to {@code sink}. */
  public void feed(byte[] data, int offset, int length, OggPacketSink sink)
      throws AudioFormatException {
    if (failure != null) {
      throw new OggFormatException("stream already failed: " + failure.getMessage());
    }
    int pos = offset;
    int end = offset + length;
    try {
      while (pos < end) {
        int n = Math.min(need - have, end - pos);
        int before = have;
        System.arraycopy(data, pos, page, have, n);
        have += n;
        pos += n;
        checkCapture(before);
        while (have == need) {
          if (advance(sink)) {
            break;
          }
        }
      }
    } catch (OggFormatException e) {
      failure = e;
      throw e;
    }
  }

  /**
   * Declares the end of input. Fails if it cuts a page or a packet short, or if no page at all was
   * received.
   */
  public void finish() throws OggFormatException {
    if (failure != null) {
      throw new OggFormatException("stream already failed: " + failure.getMessage());
    }
    if (have > 0) {
      throw fail(
          "truncated page at byte offset %d: input ended after %d bytes of a page",
          streamOffset, have);
    }
    if (pagesRead == 0) {
      throw fail("empty Ogg stream: no page received");
    }
    if (packetOpen) {
      throw fail(
          "input ended inside a packet (%d bytes so far) that the last page left open",
          packetLength);
    }
  }

  public long pagesRead() {
    return pagesRead;
  }

  /** Pages missing from the sequence numbering (a lossy transport); their packets are dropped. */
  public long lostPages() {
    return lostPages;
  }

  /** Whether the EOS page has been read. */
  public boolean ended() {
    return ended;
  }

  private void checkCapture(int before) throws OggFormatException {
    if (lacingRead || before >= CAPTURE.length) {
      return;
    }
    for (int i = before; i < Math.min(have, CAPTURE.length); i++) {
      if (page[i] != CAPTURE[i]) {
        throw fail(
            "bad capture pattern at byte offset %d: expected \"OggS\", got %s",
            streamOffset, hex(page, 0, Math.min(have, CAPTURE.length)));
      }
    }
  }

  /**
   * Moves the state machine on once {@code need} bytes are buffered; true when a page was consumed.
   */
  private boolean advance(OggPacketSink sink) throws AudioFormatException {
    if (!lacingRead && need == OggPageWriter.HEADER_BYTES) {
      if (page[4] != 0) {
        throw fail(
            "unsupported Ogg stream structure version %d at byte offset %d",
            page[4] & 0xFF, streamOffset);
      }
      if ((page[5] & ~0x07) != 0) {
        throw fail(
            "invalid header type flags 0x%02x at byte offset %d", page[5] & 0xFF, streamOffset);
      }
      need = OggPageWriter.HEADER_BYTES + (page[26] & 0xFF);
      lacingRead = true;
      return false;
    }
    if (lacingRead && need == OggPageWriter.HEADER_BYTES + (page[26] & 0xFF)) {
      int body = 0;
      for (int i = 0; i < (page[26] & 0xFF); i++) {
        body += page[OggPageWriter.HEADER_BYTES + i] & 0xFF;
      }
      int total = OggPageWriter.HEADER_BYTES + (page[26] & 0xFF) + body;
      if (total != need) {
        need = total;
        return false;
      }
    }
    processPage(sink);
    streamOffset += have;
    have = 0;
    need = OggPageWriter.HEADER_BYTES;
    lacingRead = false;
    return true;
  }

  private void processPage(OggPacketSink sink) throws AudioFormatException {
    int flags = page[5] & 0xFF;
    boolean continued = (flags & 0x01) != 0;
    boolean bos = (flags & 0x02) != 0;
    boolean eos = (flags & 0x04) != 0;
    long granule = getLong(page, 6);
    int pageSerial = getInt(page, 14);
    long sequence = getInt(page, 18) & 0xFFFFFFFFL;
    int storedCrc = getInt(page, 22);
    OggPageWriter.putInt(page, 22, 0);
    int crc = OggCrc.update(0, page, 0, have);
    OggPageWriter.putInt(page, 22, storedCrc);
    if (crc != storedCrc) {
      throw fail(
          "CRC mismatch on the page at byte offset %d (sequence %d): stored 0x%08x, computed 0x%08x",
          streamOffset, sequence, storedCrc, crc);
    }
    if (ended) {
      throw fail("page at byte offset %d follows the end-of-stream page", streamOffset);
    }
    if (pagesRead == 0) {
      if (!bos) {
        throw fail(
            "the first page (byte offset %d) lacks the beginning-of-stream flag", streamOffset);
      }
      serial = pageSerial;
      nextSequence = sequence;
    } else {
      if (bos) {
        throw fail(
            "second beginning-of-stream page at byte offset %d: multiplexed or chained Ogg streams are not supported",
            streamOffset);
      }
      if (pageSerial != serial) {
        throw fail(
            "page at byte offset %d has serial 0x%08x in stream 0x%08x: multiplexed Ogg streams are not supported",
            streamOffset, pageSerial, serial);
      }
    }
    if (sequence != nextSequence) {
      if (sequence < nextSequence) {
        throw fail(
            "page sequence went back from %d to %d at byte offset %d",
            nextSequence - 1, sequence, streamOffset);
      }
      lostPages += sequence - nextSequence;
      discontinuity = true;
      packetOpen = false;
      packetLength = 0;
    }
    nextSequence = sequence + 1;
    pagesRead++;

    int segments = page[26] & 0xFF;
    int lastComplete = -1;
    for (int i = 0; i < segments; i++) {
      if ((page[OggPageWriter.HEADER_BYTES + i] & 0xFF) < 255) {
        lastComplete = i;
      }
    }
    int pos = OggPageWriter.HEADER_BYTES + segments;
    int seg = 0;
    if (continued && !packetOpen) {
      if (!discontinuity) {
        throw fail(
            "page at byte offset %d continues a packet, but no packet is open", streamOffset);
      }
      // The start of this packet was lost with a missing page: skip its tail.
      while (seg < segments) {
        int lace = page[OggPageWriter.HEADER_BYTES + seg++] & 0xFF;
        pos += lace;
        if (lace < 255) {
          break;
        }
      }
    } else if (!continued && packetOpen) {
      throw fail(
          "page at byte offset %d does not continue the packet left open by the previous page",
          streamOffset);
    }
    discontinuity = false;
    for (; seg < segments; seg++) {
      int lace = page[OggPageWriter.HEADER_BYTES + seg] & 0xFF;
      append(pos, lace);
      pos += lace;
      if (lace < 255) {
        byte[] data = Arrays.copyOf(packet, packetLength);
        boolean first = nextPacketIsFirst;
        nextPacketIsFirst = false;
        packetOpen = false;
        packetLength = 0;
        boolean lastOnPage = seg == lastComplete;
        sink.packet(new OggPacket(data, granule, lastOnPage, first, eos, sequence));
      } else {
        packetOpen = true;
      }
    }
    if (eos) {
      ended = true;
      if (packetOpen) {
        throw fail("end-of-stream page at byte offset %d leaves a packet unfinished", streamOffset);
      }
    }
  }

  private void append(int from, int length) throws OggFormatException {
    if (packetLength + length > maxPacketBytes) {
      throw fail(
          "packet exceeds the %d-byte limit at byte offset %d", maxPacketBytes, streamOffset);
    }
    if (packetLength + length > packet.length) {
      packet =
          Arrays.copyOf(
              packet, Math.min(maxPacketBytes, Math.max(packet.length * 2, packetLength + length)));
    }
    System.arraycopy(page, from, packet, packetLength, length);
    packetLength += length;
  }

  private static OggFormatException fail(String format, Object... args) {
    return new OggFormatException(String.format(format, args));
  }

  private static String hex(byte[] b, int off, int len) {
    StringBuilder sb = new StringBuilder("0x");
    for (int i = off; i < off + len; i++) {
      sb.append(String.format("%02x", b[i] & 0xFF));
    }
    return sb.toString();
  }

  static int getInt(byte[] b, int at) {
    return (b[at] & 0xFF)
        | (b[at + 1] & 0xFF) << 8
        | (b[at + 2] & 0xFF) << 16
        | (b[at + 3] & 0xFF) << 24;
  }

  static long getLong(byte[] b, int at) {
    return (getInt(b, at) & 0xFFFFFFFFL) | ((long) getInt(b, at + 4) << 32);
  }
}
