package dev.parley.client.kyutai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.codec.opus.OggOpusReader;
import dev.parley.codec.opus.OggOpusWriter;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The /api/chat message layer: kinds and payloads both ways, fragments, query parameters. */
class KyutaiMessageTest {

  @Test
  void everyKindSurvivesEncodeThenDecode() {
    List<KyutaiMessage> messages =
        List.of(
            new KyutaiMessage.Text(" héllo ▁ 世界"),
            new KyutaiMessage.Metadata("{\"text_temperature\":0.7}"),
            new KyutaiMessage.Error("server full"),
            new KyutaiMessage.Control(1),
            new KyutaiMessage.Ping());
    for (KyutaiMessage m : messages) {
      assertThat(KyutaiMessage.decode(m.encode())).isEqualTo(m);
    }
    byte[] page = {'O', 'g', 'g', 'S', 0, 2};
    assertThat(
            ((KyutaiMessage.Audio) KyutaiMessage.decode(new KyutaiMessage.Audio(page).encode()))
                .oggBytes())
        .containsExactly(page);
  }

  @Test
  void kindBytesAreThoseOfTheProtocol() {
    assertThat(new KyutaiMessage.Audio(new byte[] {9}).encode()).containsExactly(1, 9);
    assertThat(new KyutaiMessage.Text("a").encode()).containsExactly(2, 'a');
    assertThat(new KyutaiMessage.Metadata("{}").encode()).containsExactly(4, '{', '}');
    assertThat(new KyutaiMessage.Error("x").encode()).containsExactly(5, 'x');
  }

  @Test
  void handshakesOfBothReferenceServersAreRecognised() {
    // Kyutai's Python server sends the kind byte alone; the Rust backend adds two zero u32s.
    assertThat(KyutaiMessage.decode(new byte[] {0}))
        .isInstanceOfSatisfying(
            KyutaiMessage.Handshake.class, h -> assertThat(h.payload()).isEmpty());
    assertThat(KyutaiMessage.decode(new byte[9]))
        .isInstanceOfSatisfying(
            KyutaiMessage.Handshake.class, h -> assertThat(h.payload()).hasSize(8));
  }

  @Test
  void unknownKindsDecodeToUnknownSoTheyCanBeIgnored() {
    assertThat(KyutaiMessage.decode(new byte[] {7, 3, 'h', 'i'}))
        .isInstanceOfSatisfying(
            KyutaiMessage.Unknown.class,
            u -> {
              assertThat(u.kind()).isEqualTo(7);
              assertThat(u.payload()).containsExactly(3, 'h', 'i');
            });
    assertThat(KyutaiMessage.decode(new byte[] {(byte) 200}))
        .isInstanceOf(KyutaiMessage.Unknown.class);
    assertThatThrownBy(() -> KyutaiMessage.decode(new byte[0]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void malformedUtf8TextIsReplacedNotFatal() {
    KyutaiMessage m = KyutaiMessage.decode(new byte[] {2, 'a', (byte) 0xC3});
    assertThat(((KyutaiMessage.Text) m).text()).isEqualTo("a\uFFFD");
  }

  @Test
  void fragmentsSplitAnywhereReassembleIntoTheOriginalMessages() {
    Random random = new Random(5);
    MessageAssembler assembler = new MessageAssembler(1 << 20);
    for (int trial = 0; trial < 50; trial++) {
      byte[] message = new byte[1 + random.nextInt(20000)];
      random.nextBytes(message);
      byte[] whole = null;
      int off = 0;
      while (off < message.length) {
        int n = Math.min(message.length - off, random.nextInt(4000));
        boolean last = off + n == message.length;
        byte[] out = assembler.add(ByteBuffer.wrap(message, off, n), last);
        assertThat(out == null).isEqualTo(!last);
        whole = out;
        off += n;
      }
      assertThat(whole).containsExactly(message);
    }
  }

  @Test
  void aMessagePastTheLimitIsRefusedAndTheAssemblerRecovers() {
    MessageAssembler assembler = new MessageAssembler(100);
    assembler.add(ByteBuffer.wrap(new byte[60]), false);
    assertThatThrownBy(() -> assembler.add(ByteBuffer.wrap(new byte[60]), false))
        .isInstanceOf(IllegalStateException.class);
    assertThat(assembler.add(ByteBuffer.wrap(new byte[] {2, 'o', 'k'}), true))
        .containsExactly(2, 'o', 'k');
  }

  @Test
  void audioPagesFromTheWriterDecodeBackToTheSameNumberOfSamples() throws Exception {
    // What sendPcm sends and the listener side decodes: one page per message, kind 1.
    float[] pcm = new float[24000];
    for (int i = 0; i < pcm.length; i++) {
      pcm[i] = (float) (0.3 * Math.sin(2 * Math.PI * 220 * i / 24000.0));
    }
    List<byte[]> messages = new ArrayList<>();
    try (OggOpusWriter w =
        new OggOpusWriter(
            OggOpusWriter.Options.speech24k(),
            p -> messages.add(new KyutaiMessage.Audio(p).encode()))) {
      w.write(pcm);
    }
    long[] decoded = {0};
    OggOpusReader reader = new OggOpusReader(24000, (x, off, n) -> decoded[0] += n);
    for (byte[] m : messages) {
      assertThat(m[0]).isEqualTo(KyutaiMessage.AUDIO);
      assertThat(new String(m, 1, 4, StandardCharsets.US_ASCII))
          .isEqualTo("OggS"); // exactly one page each
      reader.feed(((KyutaiMessage.Audio) KyutaiMessage.decode(m)).oggBytes());
    }
    reader.finish();
    assertThat(decoded[0]).isEqualTo(pcm.length);
  }

  @Test
  void samplingBecomesTheQueryParametersKyutaisWebClientSends() {
    KyutaiChatOptions o =
        KyutaiChatOptions.builder()
            .textTemperature(0.7f)
            .textTopK(25)
            .audioTemperature(0.8f)
            .audioTopK(250)
            .seed(42)
            .authId("a b&c")
            .build();
    assertThat(o.chatUri(URI.create("ws://127.0.0.1:8998/api/chat")).toString())
        .isEqualTo(
            "ws://127.0.0.1:8998/api/chat?text_temperature=0.7&text_topk=25&audio_temperature=0.8&audio_topk=250"
                + "&text_seed=42&audio_seed=42&auth_id=a+b%26c");
    assertThat(
            KyutaiChatOptions.builder()
                .textTopK(5)
                .build()
                .chatUri(URI.create("wss://h/api/chat?x=1"))
                .toString())
        .isEqualTo("wss://h/api/chat?x=1&text_topk=5");
    assertThat(KyutaiChatOptions.defaults().chatUri(URI.create("ws://h:1/api/chat")).toString())
        .isEqualTo("ws://h:1/api/chat");
  }

  @Test
  void connectingWhereNothingListensFailsWithAClearMessage() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    URI uri = URI.create("ws://127.0.0.1:" + port + "/api/chat");
    assertThatThrownBy(
            () ->
                KyutaiChatClient.connect(
                    uri, KyutaiChatOptions.defaults(), new KyutaiChatListener() {}))
        .isInstanceOf(KyutaiChatException.class)
        .hasMessageContaining("cannot open ws://127.0.0.1:" + port);
  }
}
