package dev.parley.codec.ogg;

/**
 * One packet reassembled from an Ogg logical stream.
 *
 * @param data the packet bytes
 * @param pageGranule the granule position of the page this packet completed on
 * @param lastOnPage whether it is the last packet completed on that page, the one the page's
 *     granule position belongs to (RFC 3533)
 * @param firstInStream whether it is the first packet of the stream (on the BOS page)
 * @param onEndOfStreamPage whether it completed on the EOS page
 * @param pageSequence the sequence number of the page it completed on
 */
public record OggPacket(
    byte[] data,
    long pageGranule,
    boolean lastOnPage,
    boolean firstInStream,
    boolean onEndOfStreamPage,
    long pageSequence) {

  /**
   * The granule position that belongs to this packet, or -1 when the page's granule is another
   * packet's.
   */
  public long granulePosition() {
    return lastOnPage ? pageGranule : -1;
  }

  /** Whether this is the final packet of the stream. */
  public boolean lastInStream() {
    return onEndOfStreamPage && lastOnPage;
  }
}
