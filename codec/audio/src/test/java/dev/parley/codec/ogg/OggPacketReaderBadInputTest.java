package dev.parley.codec.ogg;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OggPacketReaderBadInputTest {

  private static byte[] validStream() {
    OggPageWriter w = new OggPageWriter(1);
    List<byte[]> pages = new ArrayList<>();
    pages.addAll(w.writePackets(List.of(new byte[] {1, 2, 3}), new long[] {0}, false));
    pages.addAll(w.writePackets(List.of(new byte[] {4, 5}), new long[] {960}, true));
    return OggPageWriter.concat(pages);
  }

  private static void read(byte[] stream) throws Exception {
    OggPacketReader r = new OggPacketReader();
    r.feed(stream, p -> {});
    r.finish();
  }

  @Test
  void emptyInput() {
    assertThatThrownBy(() -> read(new byte[0]))
        .isInstanceOf(OggFormatException.class)
        .hasMessageContaining("empty");
  }

  @Test
  void wrongCapturePattern() {
    byte[] s = validStream();
    s[2] = 'X';
    assertThatThrownBy(() -> read(s))
        .isInstanceOf(OggFormatException.class)
        .hasMessageContaining("capture pattern");
  }

  @Test
  void garbageFailsAtTheFirstBytes() {
    OggPacketReader r = new OggPacketReader();
    assertThatThrownBy(() -> r.feed("GET / HTTP/1.1".getBytes(), p -> {}))
        .isInstanceOf(OggFormatException.class)
        .hasMessageContaining("capture pattern");
  }

  @Test
  void badCrc() {
    byte[] s = validStream();
    s[s.length - 1] ^= 0x40;
    assertThatThrownBy(() -> read(s))
        .isInstanceOf(OggFormatException.class)
        .hasMessageContaining("CRC mismatch");
  }

  @Test
  void truncatedPage() {
    byte[] s = validStream();
    byte[] cut = java.util.Arrays.copyOf(s, s.length - 1);
    assertThatThrownBy(() -> read(cut))
        .isInstanceOf(OggFormatException.class)
        .hasMessageContaining("truncated page");
  }

  @Test
  void unsupportedVersion() {
    byte[] s = validStream();
    s[4] = 1;
    assertThatThrownBy(() -> read(s))
        .isInstanceOf(OggFormatException.class)
        .hasMessageContaining("version 1");
  }

  @Test
  void invalidFlags() {
    byte[] s = validStream();
    s[5] |= 0x10;
    assertThatThrownBy(() -> read(s))
        .isInstanceOf(OggFormatException.class)
        .hasMessageContaining("header type flags");
  }

  @Test
  void firstPageWithoutBos() {
    OggPageWriter w = new OggPageWriter(1);
    w.writePackets(List.of(new byte[1]), new long[] {0}, false); // discard the BOS page
    byte[] second =
        OggPageWriter.concat(w.writePackets(List.of(new byte[1]), new long[] {1}, false));
    assertThatThrownBy(() -> read(second))
        .isInstanceOf(OggFormatException.class)
        .hasMessageContaining("beginning-of-stream");
  }

  @Test
  void multiplexedStreamsAreRejected() {
    OggPageWriter a = new OggPageWriter(1);
    OggPageWriter b = new OggPageWriter(2);
    byte[] s =
        OggPageWriter.concat(
            List.of(
                a.writePackets(List.of(new byte[1]), new long[] {0}, false).get(0),
                b.writePackets(List.of(new byte[1]), new long[] {0}, false).get(0)));
    assertThatThrownBy(() -> read(s))
        .isInstanceOf(OggFormatException.class)
        .hasMessageContaining("multiplexed");
  }

  @Test
  void pageAfterEndOfStream() {
    OggPageWriter w = new OggPageWriter(1);
    byte[] eos = OggPageWriter.concat(w.writePackets(List.of(new byte[1]), new long[] {0}, true));
    OggPageWriter w2 = new OggPageWriter(1);
    w2.writePackets(List.of(new byte[1]), new long[] {0}, false);
    byte[] more =
        OggPageWriter.concat(w2.writePackets(List.of(new byte[1]), new long[] {1}, false));
    byte[] s = OggPageWriter.concat(List.of(eos, more));
    assertThatThrownBy(() -> read(s))
        .isInstanceOf(OggFormatException.class)
        .hasMessageContaining("end-of-stream");
  }

  @Test
  void oversizedPacketIsRefusedNotBuffered() {
    OggPageWriter w = new OggPageWriter(1);
    byte[] s =
        OggPageWriter.concat(w.writePackets(List.of(new byte[200_000]), new long[] {0}, true));
    OggPacketReader r = new OggPacketReader(100_000);
    assertThatThrownBy(() -> r.feed(s, p -> {}))
        .isInstanceOf(OggFormatException.class)
        .hasMessageContaining("100000-byte limit");
  }

  @Test
  void streamEndingInsideAPacket() {
    OggPageWriter w = new OggPageWriter(1);
    List<byte[]> pages = w.writePackets(List.of(new byte[70_000]), new long[] {0}, false);
    byte[] first = pages.get(0);
    assertThatThrownBy(() -> read(first))
        .isInstanceOf(OggFormatException.class)
        .hasMessageContaining("inside a packet");
  }

  @Test
  void aFailedReaderStaysFailed() {
    OggPacketReader r = new OggPacketReader();
    assertThatThrownBy(() -> r.feed(new byte[] {'x'}, p -> {}))
        .isInstanceOf(OggFormatException.class);
    assertThatThrownBy(() -> r.feed(validStream(), p -> {})).hasMessageContaining("already failed");
  }
}
