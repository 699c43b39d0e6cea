package dev.parley.codec.opus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.ogg.OggPageWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class OggOpusBadInputTest {

  private static byte[] stream(List<byte[]> packets) {
    OggPageWriter w = new OggPageWriter(3);
    List<byte[]> pages = new ArrayList<>();
    for (int i = 0; i < packets.size(); i++) {
      pages.addAll(
          w.writePackets(List.of(packets.get(i)), new long[] {i * 960L}, i == packets.size() - 1));
    }
    return OggPageWriter.concat(pages);
  }

  private static void decode(byte[] s) throws AudioFormatException {
    OggOpusReader r = new OggOpusReader(24000, (x, o, n) -> {});
    r.feed(s);
    r.finish();
  }

  private static final byte[] HEAD = new OpusHead(1, 312, 24000, 0, 0).toBytes();
  private static final byte[] TAGS = new OpusTags("x", List.of()).toBytes();

  @Test
  void emptyInput() {
    assertThatThrownBy(() -> decode(new byte[0]))
        .isInstanceOf(AudioFormatException.class)
        .hasMessageContaining("empty");
  }

  @Test
  void notAnOpusStream() {
    byte[] s = stream(List.of("\u0001vorbis....................".getBytes()));
    assertThatThrownBy(() -> decode(s))
        .isInstanceOf(OpusStreamException.class)
        .hasMessageContaining("not an OpusHead");
  }

  @Test
  void unsupportedChannelMapping() {
    byte[] head = HEAD.clone();
    head[18] = (byte) 255;
    assertThatThrownBy(() -> decode(stream(List.of(head, TAGS))))
        .isInstanceOf(OpusStreamException.class)
        .hasMessageContaining("channel mapping family 255");
    byte[] six = HEAD.clone();
    six[9] = 6;
    assertThatThrownBy(() -> decode(stream(List.of(six, TAGS))))
        .isInstanceOf(OpusStreamException.class)
        .hasMessageContaining("6 channels");
  }

  @Test
  void unsupportedVersion() {
    byte[] head = HEAD.clone();
    head[8] = 0x10;
    assertThatThrownBy(() -> decode(stream(List.of(head, TAGS))))
        .hasMessageContaining("version 16");
  }

  @Test
  void missingTags() {
    assertThatThrownBy(() -> decode(stream(List.of(HEAD, new byte[] {(byte) 0xf8, 1, 2}))))
        .isInstanceOf(OpusStreamException.class)
        .hasMessageContaining("not an OpusTags");
    assertThatThrownBy(() -> decode(stream(List.of(HEAD))))
        .hasMessageContaining("before its OpusTags");
  }

  @Test
  void corruptTags() {
    byte[] tags = TAGS.clone();
    tags[8] = (byte) 0xff; // vendor length 255 in a 17-byte packet
    assertThatThrownBy(() -> decode(stream(List.of(HEAD, tags))))
        .hasMessageContaining("vendor string claims");
  }

  @Test
  void invalidOpusPacket() {
    // TOC code 3 with a frame count of 0 is invalid (RFC 6716 §3.2.5).
    byte[] bad = {(byte) 0x03, 0x00};
    assertThatThrownBy(() -> decode(stream(List.of(HEAD, TAGS, bad))))
        .isInstanceOf(OpusStreamException.class)
        .hasMessageContaining("packet #0");
  }

  @Test
  void tooLongPacket() {
    // Code 3, 20 ms CELT frames, 63 of them: 1.26 s, over the 120 ms limit.
    byte[] bad = new byte[70];
    bad[0] = (byte) 0xfb;
    bad[1] = 63;
    assertThatThrownBy(() -> decode(stream(List.of(HEAD, TAGS, bad))))
        .isInstanceOf(OpusStreamException.class);
  }

  @Test
  void zeroLengthPacketIsConcealedNotFatal() throws Exception {
    List<byte[]> pages =
        OggOpusTestSupport.encodePages(new float[4800], OggOpusWriter.Options.speech24k(), 480);
    byte[] s = OggPageWriter.concat(pages);
    OggOpusTestSupport.FloatCollector out = new OggOpusTestSupport.FloatCollector();
    OggOpusReader r = new OggOpusReader(24000, out);
    r.feed(s);
    r.finish();
    assertThat(out.size()).isEqualTo(4800);
    decode(stream(List.of(HEAD, TAGS, new byte[0])));
  }

  /**
   * At least 10 000 random and mutated pages: each stream must decode or fail with an {@link
   * AudioFormatException} — never another exception, never a hang.
   */
  @Test
  @Timeout(120)
  void fuzzRandomAndMutatedPages() throws Exception {
    Random r = new Random(20261122);
    byte[] valid =
        OggPageWriter.concat(
            OggOpusTestSupport.encodePages(
                dev.parley.codec.testing.Signals.sweep(200, 4000, 24000, 24000, 0.5),
                OggOpusWriter.Options.speech24k(),
                960));
    int pages = 0;
    int rejected = 0;
    for (int trial = 0; trial < 6000; trial++) {
      byte[] s =
          switch (trial % 4) {
            case 0 -> mutate(valid, r, 1 + r.nextInt(8));
            case 1 -> splice(valid, r);
            case 2 -> randomPages(r);
            default -> mutate(valid, r, 1 + r.nextInt(64));
          };
      pages += countPages(s);
      try {
        OggOpusReader reader = new OggOpusReader(24000, (x, o, n) -> {});
        OggOpusTestSupport.feedInPieces(reader, s, r, 4096);
        reader.finish();
      } catch (AudioFormatException expected) {
        assertThat(expected.getMessage()).isNotBlank();
        rejected++;
      }
    }
    assertThat(pages).isGreaterThanOrEqualTo(10_000);
    assertThat(rejected).isGreaterThan(1000);
  }

  private static byte[] mutate(byte[] valid, Random r, int flips) {
    byte[] s = valid.clone();
    for (int i = 0; i < flips; i++) {
      s[r.nextInt(s.length)] = (byte) r.nextInt(256);
    }
    if (r.nextInt(4) == 0) {
      s = java.util.Arrays.copyOf(s, r.nextInt(s.length));
    }
    return s;
  }

  private static byte[] splice(byte[] valid, Random r) {
    int a = r.nextInt(valid.length);
    int b = r.nextInt(valid.length);
    byte[] s = new byte[valid.length];
    System.arraycopy(valid, 0, s, 0, a);
    System.arraycopy(valid, b, s, a, Math.min(valid.length - b, s.length - a));
    return s;
  }

  /** Pages with valid framing and CRCs around random packets: reaches the Opus layer. */
  private static byte[] randomPages(Random r) {
    OggPageWriter w = new OggPageWriter(r.nextInt());
    List<byte[]> out = new ArrayList<>();
    int n = 1 + r.nextInt(6);
    for (int i = 0; i < n; i++) {
      byte[] p;
      if (i == 0 && r.nextBoolean()) {
        p = HEAD.clone();
        p[9 + r.nextInt(10)] = (byte) r.nextInt(256);
      } else if (i == 1 && r.nextBoolean()) {
        p = TAGS;
      } else {
        p = new byte[r.nextInt(r.nextBoolean() ? 100 : 70_000)];
        r.nextBytes(p);
      }
      out.addAll(
          w.writePackets(List.of(p), new long[] {r.nextLong()}, i == n - 1 && r.nextBoolean()));
    }
    return OggPageWriter.concat(out);
  }

  private static int countPages(byte[] s) {
    int count = 0;
    for (int i = 0; i + 4 <= s.length; i++) {
      if (s[i] == 'O' && s[i + 1] == 'g' && s[i + 2] == 'g' && s[i + 3] == 'S') {
        count++;
      }
    }
    return count;
  }
}
