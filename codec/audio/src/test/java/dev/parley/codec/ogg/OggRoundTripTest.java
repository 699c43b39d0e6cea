package dev.parley.codec.ogg;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Our pages against vorbis-java's Ogg implementation, in both directions. */
class OggRoundTripTest {

  private static List<byte[]> packets(Random r, int count) {
    List<byte[]> packets = new ArrayList<>();
    int[] sizes = {0, 1, 254, 255, 256, 510, 65025, 70000, 3, 1000};
    for (int i = 0; i < count; i++) {
      byte[] p = new byte[i < sizes.length ? sizes[i] : r.nextInt(3000)];
      r.nextBytes(p);
      packets.add(p);
    }
    return packets;
  }

  @Test
  void vorbisJavaReadsWhatWeWrite() throws Exception {
    Random r = new Random(1);
    List<byte[]> packets = packets(r, 40);
    OggPageWriter writer = new OggPageWriter(0x1234abcd);
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    long granule = 0;
    for (int i = 0; i < packets.size(); i++) {
      granule += 960;
      boolean last = i == packets.size() - 1;
      for (byte[] page : writer.writePackets(List.of(packets.get(i)), new long[] {granule}, last)) {
        file.writeBytes(page);
      }
    }

    org.gagravarr.ogg.OggPacketReader oracle =
        new org.gagravarr.ogg.OggPacketReader(new ByteArrayInputStream(file.toByteArray()));
    for (int i = 0; i < packets.size(); i++) {
      org.gagravarr.ogg.OggPacket p = oracle.getNextPacket();
      assertThat(p).as("packet %d", i).isNotNull();
      assertThat(p.getData()).as("packet %d", i).isEqualTo(packets.get(i));
      assertThat(p.getSid()).isEqualTo(0x1234abcd);
      assertThat(p.isBeginningOfStream()).isEqualTo(i == 0);
      assertThat(p.getGranulePosition()).isEqualTo(960L * (i + 1));
    }
    assertThat(oracle.getNextPacket()).isNull();
  }

  @Test
  void weReadWhatVorbisJavaWrites() throws Exception {
    Random r = new Random(2);
    List<byte[]> packets = packets(r, 30);
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    org.gagravarr.ogg.OggFile ogg = new org.gagravarr.ogg.OggFile(file);
    org.gagravarr.ogg.OggPacketWriter w = ogg.getPacketWriter(77);
    for (int i = 0; i < packets.size(); i++) {
      w.setGranulePosition(100L * (i + 1));
      w.bufferPacket(new org.gagravarr.ogg.OggPacket(packets.get(i)), i % 3 == 0);
    }
    w.close();
    ogg.close();

    List<OggPacket> got = readAll(file.toByteArray(), new Random(3));
    assertThat(got).hasSize(packets.size());
    for (int i = 0; i < packets.size(); i++) {
      assertThat(got.get(i).data()).as("packet %d", i).isEqualTo(packets.get(i));
    }
    assertThat(got.get(0).firstInStream()).isTrue();
    assertThat(got.get(got.size() - 1).lastInStream()).isTrue();
  }

  @Test
  void bytesSplitAnywhereGiveTheSamePackets() throws Exception {
    Random r = new Random(4);
    List<byte[]> packets = packets(r, 25);
    OggPageWriter writer = new OggPageWriter(9);
    long[] granules = new long[packets.size()];
    for (int i = 0; i < granules.length; i++) {
      granules[i] = 480L * (i + 1);
    }
    byte[] stream = OggPageWriter.concat(writer.writePackets(packets, granules, true));

    for (int trial = 0; trial < 20; trial++) {
      List<OggPacket> got = readAll(stream, new Random(trial));
      assertThat(got).hasSize(packets.size());
      for (int i = 0; i < packets.size(); i++) {
        assertThat(got.get(i).data()).isEqualTo(packets.get(i));
      }
      // The granule of a page belongs to its last completed packet.
      OggPacket last = got.get(got.size() - 1);
      assertThat(last.granulePosition()).isEqualTo(granules[granules.length - 1]);
      assertThat(last.lastInStream()).isTrue();
    }
  }

  @Test
  void oneByteAtATime() throws Exception {
    OggPageWriter writer = new OggPageWriter(5);
    byte[] stream =
        OggPageWriter.concat(
            writer.writePackets(
                List.of(new byte[] {1, 2, 3}, new byte[300]), new long[] {10, 20}, true));
    OggPacketReader reader = new OggPacketReader();
    List<OggPacket> got = new ArrayList<>();
    for (byte b : stream) {
      reader.feed(new byte[] {b}, got::add);
    }
    reader.finish();
    assertThat(got).extracting(p -> p.data().length).containsExactly(3, 300);
    assertThat(got.get(0).granulePosition()).isEqualTo(-1);
    assertThat(got.get(1).granulePosition()).isEqualTo(20);
  }

  @Test
  void pagesThatCompleteNoPacketHaveGranuleMinusOne() throws Exception {
    OggPageWriter writer = new OggPageWriter(5);
    List<byte[]> pages =
        writer.writePackets(List.of(new byte[255 * 255 * 2]), new long[] {42}, false);
    assertThat(pages).hasSize(3);
    assertThat(OggPacketReader.getLong(pages.get(0), 6)).isEqualTo(-1);
    assertThat(OggPacketReader.getLong(pages.get(1), 6)).isEqualTo(-1);
    assertThat(OggPacketReader.getLong(pages.get(2), 6)).isEqualTo(42);
    assertThat(pages.get(1)[5] & 1).as("continued flag").isEqualTo(1);
  }

  static List<OggPacket> readAll(byte[] stream, Random split) throws Exception {
    OggPacketReader reader = new OggPacketReader();
    List<OggPacket> got = new ArrayList<>();
    int pos = 0;
    while (pos < stream.length) {
      int n = Math.min(stream.length - pos, 1 + split.nextInt(700));
      reader.feed(stream, pos, n, got::add);
      pos += n;
    }
    reader.finish();
    return got;
  }
}
