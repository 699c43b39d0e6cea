package dev.parley.server.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.server.stt.SttStep;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * moshi-server's asr-streaming messages: exact bytes (from the MessagePack specification and
 * rmp_serde's struct-map encoding of {@code OutMsg}), the layouts Kyutai's Python clients send,
 * round trips, and refusals with clear messages.
 */
class AsrMessagesTest {
  static final AsrMessages CODEC = AsrMessages.withDefaults();

  static byte[] hex(String h) {
    return HexFormat.of().parseHex(h.replace(" ", ""));
  }

  static String str(String s) {
    // fixstr: 0xa0 | length, then UTF-8
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return String.format("%02x", 0xa0 | b.length) + HexFormat.of().formatHex(b);
  }

  @Test
  void serverMessagesHaveTheBytesRmpSerdeWrites() {
    String type = str("type");
    assertThat(AsrMessages.encode(new AsrMessages.Out.Ready()))
        .isEqualTo(hex("81" + type + str("Ready")));
    assertThat(AsrMessages.encode(new AsrMessages.Out.Word("hi", 0.5)))
        .isEqualTo(
            hex(
                "83"
                    + type
                    + str("Word")
                    + str("text")
                    + str("hi")
                    + str("start_time")
                    + "cb 3fe0000000000000"));
    assertThat(AsrMessages.encode(new AsrMessages.Out.EndWord(1.25)))
        .isEqualTo(hex("82" + type + str("EndWord") + str("stop_time") + "cb 3ff4000000000000"));
    assertThat(AsrMessages.encode(new AsrMessages.Out.Step(3, new float[] {0.25f, 1f}, 1920)))
        .isEqualTo(
            hex(
                "84"
                    + type
                    + str("Step")
                    + str("step_idx")
                    + "03"
                    + str("prs")
                    + "92 ca3e800000 ca3f800000"
                    + str("buffered_pcm")
                    + "cd 0780"));
    assertThat(AsrMessages.encode(new AsrMessages.Out.Marker(-1)))
        .isEqualTo(hex("82" + type + str("Marker") + str("id") + "ff"));
    assertThat(AsrMessages.encode(new AsrMessages.Out.Marker(300)))
        .isEqualTo(hex("82" + type + str("Marker") + str("id") + "cd 012c"));
    assertThat(AsrMessages.encode(new AsrMessages.Out.Error("no free channels")))
        .isEqualTo(hex("82" + type + str("Error") + str("message") + str("no free channels")));
  }

  @Test
  void clientMessagesHaveTheBytesKyutaiClientsWrite() {
    String type = str("type");
    assertThat(AsrMessages.encode(new AsrMessages.In.Init()))
        .isEqualTo(hex("81" + type + str("Init")));
    assertThat(AsrMessages.encode(new AsrMessages.In.Marker(0)))
        .isEqualTo(hex("82" + type + str("Marker") + str("id") + "00"));
    assertThat(AsrMessages.encode(new AsrMessages.In.Audio(new float[] {0f, -0.5f})))
        .isEqualTo(hex("82" + type + str("Audio") + str("pcm") + "92 ca00000000 cabf000000"));
    assertThat(AsrMessages.encode(new AsrMessages.In.OggOpus(new byte[] {1, 2})))
        .isEqualTo(hex("82" + type + str("OggOpus") + str("data") + "c4 02 0102"));
  }

  /**
   * {@code msgpack.packb({"type": "Audio", "pcm": [float(x) for x in chunk]},
   * use_single_float=True)}.
   */
  @Test
  void decodesAudioAsThePythonClientsPackIt() throws Exception {
    float[] chunk = new float[1920];
    SplittableRandom r = new SplittableRandom(3);
    for (int i = 0; i < chunk.length; i++) {
      chunk[i] = (float) (r.nextDouble() * 2 - 1);
    }
    byte[] single =
        pack(
            p -> {
              p.packMapHeader(2)
                  .packString("type")
                  .packString("Audio")
                  .packString("pcm")
                  .packArrayHeader(chunk.length);
              for (float x : chunk) {
                p.packFloat(x);
              }
            });
    assertThat(single[0] & 0xff).isEqualTo(0x82);
    assertThat(single[1 + 5 + 6 + 4] & 0xff).as("array 16 header").isEqualTo(0xdc);
    AsrMessages.In in = CODEC.decodeIn(single);
    assertThat(((AsrMessages.In.Audio) in).pcm()).containsExactly(chunk);
    // Without use_single_float the floats are float 64; and fields may come in any order, with
    // extras.
    byte[] doubles =
        pack(
            p -> {
              p.packMapHeader(3)
                  .packString("pcm")
                  .packArrayHeader(3)
                  .packDouble(0.25)
                  .packDouble(-1.0)
                  .packLong(0);
              p.packString("extra").packMapHeader(1).packString("x").packArrayHeader(0);
              p.packString("type").packString("Audio");
            });
    assertThat(((AsrMessages.In.Audio) CODEC.decodeIn(doubles)).pcm())
        .containsExactly(0.25f, -1f, 0f);
    // A second of silence, as stt_from_file_rust_server.py sends between files: [0.0] * 24000.
    byte[] silence =
        pack(
            p -> {
              p.packMapHeader(2)
                  .packString("type")
                  .packString("Audio")
                  .packString("pcm")
                  .packArrayHeader(24000);
              for (int i = 0; i < 24000; i++) {
                p.packFloat(0f);
              }
            });
    assertThat(((AsrMessages.In.Audio) CODEC.decodeIn(silence)).pcm()).hasSize(24000);
  }

  @Test
  void decodesMarkerInitAndOggOpusAsClientsPackThem() throws Exception {
    assertThat(
            CODEC.decodeIn(
                pack(
                    p ->
                        p.packMapHeader(2)
                            .packString("type")
                            .packString("Marker")
                            .packString("id")
                            .packLong(0))))
        .isEqualTo(new AsrMessages.In.Marker(0));
    assertThat(
            CODEC.decodeIn(
                pack(
                    p ->
                        p.packMapHeader(2)
                            .packString("id")
                            .packLong(Long.MIN_VALUE)
                            .packString("type")
                            .packString("Marker"))))
        .isEqualTo(new AsrMessages.In.Marker(Long.MIN_VALUE));
    assertThat(CODEC.decodeIn(hex("81 a4 74797065 a4 496e6974")))
        .isEqualTo(new AsrMessages.In.Init());
    byte[] ogg = "OggS\0\2...".getBytes(StandardCharsets.ISO_8859_1);
    // use_bin_type=True: bin; serde's default for Vec<u8>: an array of integers.
    byte[] bin =
        pack(
            p -> {
              p.packMapHeader(2)
                  .packString("type")
                  .packString("OggOpus")
                  .packString("data")
                  .packBinaryHeader(ogg.length);
              p.writePayload(ogg);
            });
    byte[] ints =
        pack(
            p -> {
              p.packMapHeader(2)
                  .packString("type")
                  .packString("OggOpus")
                  .packString("data")
                  .packArrayHeader(ogg.length);
              for (byte b : ogg) {
                p.packInt(b & 0xff);
              }
            });
    assertThat(((AsrMessages.In.OggOpus) CODEC.decodeIn(bin)).data()).containsExactly(ogg);
    assertThat(((AsrMessages.In.OggOpus) CODEC.decodeIn(ints)).data()).containsExactly(ogg);
  }

  @Test
  void everyMessageSurvivesARoundTrip() throws Exception {
    SplittableRandom r = new SplittableRandom(11);
    for (int trial = 0; trial < 50; trial++) {
      float[] pcm = new float[r.nextInt(3000)];
      for (int i = 0; i < pcm.length; i++) {
        pcm[i] = (float) r.nextGaussian();
      }
      byte[] data = new byte[r.nextInt(500)];
      r.nextBytes(data);
      long id = r.nextLong();
      assertThat(
              ((AsrMessages.In.Audio)
                      CODEC.decodeIn(AsrMessages.encode(new AsrMessages.In.Audio(pcm))))
                  .pcm())
          .containsExactly(pcm);
      assertThat(
              ((AsrMessages.In.OggOpus)
                      CODEC.decodeIn(AsrMessages.encode(new AsrMessages.In.OggOpus(data))))
                  .data())
          .containsExactly(data);
      assertThat(CODEC.decodeIn(AsrMessages.encode(new AsrMessages.In.Marker(id))))
          .isEqualTo(new AsrMessages.In.Marker(id));
      String text = "wörd" + r.nextInt() + "\u2581日本";
      double t = r.nextDouble() * 100;
      assertThat(CODEC.decodeOut(AsrMessages.encode(new AsrMessages.Out.Word(text, t))))
          .isEqualTo(new AsrMessages.Out.Word(text, t));
      assertThat(CODEC.decodeOut(AsrMessages.encode(new AsrMessages.Out.EndWord(t))))
          .isEqualTo(new AsrMessages.Out.EndWord(t));
      assertThat(CODEC.decodeOut(AsrMessages.encode(new AsrMessages.Out.Marker(id))))
          .isEqualTo(new AsrMessages.Out.Marker(id));
      float[] prs = {r.nextFloat(), r.nextFloat(), r.nextFloat(), r.nextFloat()};
      long step = r.nextLong(1L << 40);
      AsrMessages.Out.Step s =
          (AsrMessages.Out.Step)
              CODEC.decodeOut(
                  AsrMessages.encode(new AsrMessages.Out.Step(step, prs, trial * 1000L)));
      assertThat(s.stepIdx()).isEqualTo(step);
      assertThat(s.prs()).containsExactly(prs);
      assertThat(s.bufferedPcm()).isEqualTo(trial * 1000L);
      assertThat(CODEC.decodeOut(AsrMessages.encode(new AsrMessages.Out.Error(text))))
          .isEqualTo(new AsrMessages.Out.Error(text));
    }
    assertThat(CODEC.decodeIn(AsrMessages.encode(new AsrMessages.In.Init())))
        .isEqualTo(new AsrMessages.In.Init());
    assertThat(CODEC.decodeOut(AsrMessages.encode(new AsrMessages.Out.Ready())))
        .isEqualTo(new AsrMessages.Out.Ready());
    SttStep step = new SttStep(5, 3, new float[] {0.1f, 0.9f}, 640, 1000);
    assertThat(AsrMessages.step(step))
        .satisfies(
            m -> {
              assertThat(m.stepIdx()).isEqualTo(5);
              assertThat(m.prs()).containsExactly(0.1f, 0.9f);
              assertThat(m.bufferedPcm()).isEqualTo(640);
            });
  }

  @Test
  void whatIsNotMessagePackIsRefusedClearly() {
    assertRefused(new byte[0], "empty message");
    assertRefused("{\"type\":\"Audio\"}".getBytes(StandardCharsets.UTF_8), "not a MessagePack map");
    assertRefused(hex("c1"), "not a MessagePack map");
    assertRefused(hex("93 01 02 03"), "not a MessagePack map (the message starts with an array)");
    byte[] marker = AsrMessages.encode(new AsrMessages.In.Marker(1000));
    assertRefused(Arrays.copyOf(marker, marker.length - 1), "truncated");
    byte[] twice = new byte[marker.length * 2];
    System.arraycopy(marker, 0, twice, 0, marker.length);
    System.arraycopy(marker, 0, twice, marker.length, marker.length);
    assertRefused(twice, "trailing bytes");
  }

  @Test
  void wrongTypesAndFieldsAreRefusedClearly() throws Exception {
    assertRefused(
        pack(p -> p.packMapHeader(1).packString("type").packString("Transcribe")),
        "unknown message type 'Transcribe' (expected Audio, OggOpus, Marker or Init)");
    assertRefused(
        pack(p -> p.packMapHeader(1).packString("type").packInt(1)),
        "field 'type' must be a string, got an integer");
    assertRefused(
        pack(p -> p.packMapHeader(1).packString("id").packInt(1)), "without a \"type\" field");
    assertRefused(
        pack(p -> p.packMapHeader(1).packInt(1).packInt(1)),
        "map key 0 is an integer, not a string");
    assertRefused(
        pack(p -> p.packMapHeader(1).packString("type").packString("Audio")),
        "Audio message without its pcm field");
    assertRefused(
        pack(p -> p.packMapHeader(1).packString("type").packString("Marker")),
        "Marker message without its id field");
    assertRefused(
        pack(
            p ->
                p.packMapHeader(2)
                    .packString("type")
                    .packString("Audio")
                    .packString("pcm")
                    .packString("0.1")),
        "field 'pcm' must be an array of numbers, got a string");
    assertRefused(
        pack(
            p ->
                p.packMapHeader(2)
                    .packString("type")
                    .packString("Audio")
                    .packString("pcm")
                    .packArrayHeader(2)
                    .packFloat(0)
                    .packString("x")),
        "pcm[1] must be a number, got a string");
    assertRefused(
        pack(
            p ->
                p.packMapHeader(2)
                    .packString("type")
                    .packString("Marker")
                    .packString("id")
                    .packDouble(1.0)),
        "field 'id' must be an integer, got a float");
    assertRefused(
        pack(
            p ->
                p.packMapHeader(2)
                    .packString("type")
                    .packString("Marker")
                    .packString("id")
                    .packBigInteger(java.math.BigInteger.ONE.shiftLeft(63))),
        "out of the 64-bit signed range");
    assertRefused(
        pack(
            p ->
                p.packMapHeader(2)
                    .packString("type")
                    .packString("OggOpus")
                    .packString("data")
                    .packString("x")),
        "field 'data' must be binary data");
    assertRefused(
        pack(
            p ->
                p.packMapHeader(2)
                    .packString("type")
                    .packString("Init")
                    .packString("type")
                    .packString("Init")),
        "duplicate field 'type'");
  }

  @Test
  void nonFiniteAndOverlongAudioIsRefused() throws Exception {
    assertRefused(
        pack(
            p ->
                p.packMapHeader(2)
                    .packString("type")
                    .packString("Audio")
                    .packString("pcm")
                    .packArrayHeader(3)
                    .packFloat(0)
                    .packFloat(0)
                    .packFloat(Float.NaN)),
        "pcm[2] is NaN");
    assertRefused(
        pack(
            p ->
                p.packMapHeader(2)
                    .packString("type")
                    .packString("Audio")
                    .packString("pcm")
                    .packArrayHeader(1)
                    .packDouble(Double.NEGATIVE_INFINITY)),
        "pcm[0] is -Infinity");
    assertRefused(
        pack(
            p ->
                p.packMapHeader(2)
                    .packString("type")
                    .packString("Audio")
                    .packString("pcm")
                    .packArrayHeader(1)
                    .packDouble(1e300)),
        "pcm[0] is Infinity"); // beyond float range
    AsrMessages small = new AsrMessages(100, 10);
    assertThat(
            ((AsrMessages.In.Audio)
                    small.decodeIn(AsrMessages.encode(new AsrMessages.In.Audio(new float[100]))))
                .pcm())
        .hasSize(100);
    assertThatThrownBy(
            () -> small.decodeIn(AsrMessages.encode(new AsrMessages.In.Audio(new float[101]))))
        .isInstanceOf(AsrProtocolException.class)
        .hasMessage("field 'pcm' holds 101 values, more than the limit of 100 per message");
    assertThatThrownBy(
            () -> small.decodeIn(AsrMessages.encode(new AsrMessages.In.OggOpus(new byte[11]))))
        .isInstanceOf(AsrProtocolException.class)
        .hasMessageContaining("11 bytes, more than the limit of 10");
  }

  static void assertRefused(byte[] bytes, String message) {
    assertThatThrownBy(() -> CODEC.decodeIn(bytes))
        .isInstanceOf(AsrProtocolException.class)
        .hasMessageContaining(message);
  }

  interface Packing {
    void pack(MessageBufferPacker p) throws IOException;
  }

  static byte[] pack(Packing body) throws IOException {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      body.pack(p);
      return p.toByteArray();
    }
  }
}
