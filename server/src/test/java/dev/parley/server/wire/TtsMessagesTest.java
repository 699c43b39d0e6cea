package dev.parley.server.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The MessagePack layout of the TTS WebSocket messages, against bytes worked out by hand from the
 * MessagePack spec and what {@code rmp_serde} (struct maps, serde's internally tagged enums,
 * serde's sequence form of {@code Vec<u8>}) writes.
 */
class TtsMessagesTest {
  static final HexFormat HEX = HexFormat.of();
  static final TtsMessages CODEC = TtsMessages.get();

  @Test
  void serverMessagesAreWrittenAsMoshiServerWritesThem() {
    // {"type": "Ready"}
    assertThat(HEX.formatHex(TtsMessages.encode(new TtsMessages.Out.Ready())))
        .isEqualTo("81a474797065a55265616479");
    // {"type": "Text", "text": "hi", "start_s": 0.5 (f64), "stop_s": 1.0 (f64)}
    assertThat(HEX.formatHex(TtsMessages.encode(new TtsMessages.Out.Text("hi", 0.5, 1.0))))
        .isEqualTo(
            "84a474797065a454657874a474657874a26869a773746172745f73cb3fe0000000000000a673746f705f73cb3ff0000000000000");
    // {"type": "Audio", "pcm": [0.5 (f32), -1.0 (f32)]}
    assertThat(
            HEX.formatHex(TtsMessages.encode(new TtsMessages.Out.Audio(new float[] {0.5f, -1f}))))
        .isEqualTo("82a474797065a5417564696fa370636d92ca3f000000cabf800000");
    // {"type": "OggOpus", "data": [1, 200]}: a u8 sequence, 200 as uint 8
    assertThat(
            HEX.formatHex(
                TtsMessages.encode(new TtsMessages.Out.OggOpus(new byte[] {1, (byte) 200}))))
        .isEqualTo("82a474797065a74f67674f707573a464617461" + "9201ccc8");
    // {"type": "Error", "message": "x"}
    assertThat(HEX.formatHex(TtsMessages.encode(new TtsMessages.Out.Error("x"))))
        .isEqualTo("82a474797065a54572726f72a76d657373616765a178");
  }

  @Test
  void clientMessagesRoundTripAndDataMayBeBinOrBytes() throws Exception {
    var text =
        (TtsMessages.In.Text)
            CODEC.decodeIn(TtsMessages.encode(new TtsMessages.In.Text("hello world")));
    assertThat(text.text()).isEqualTo("hello world");
    var voice =
        (TtsMessages.In.Voice)
            CODEC.decodeIn(
                TtsMessages.encode(
                    new TtsMessages.In.Voice(new float[] {1.5f, -2f}, new long[] {1, 2, 1})));
    assertThat(voice.embeddings()).containsExactly(1.5f, -2f);
    assertThat(voice.shape()).containsExactly(1, 2, 1);
    assertThat(CODEC.decodeIn(HEX.parseHex("81a474797065a3456f73")))
        .isInstanceOf(TtsMessages.In.Eos.class);
    // Fields in any order, unknown ones ignored, integers and float 64 as embeddings.
    // {"shape": [1, 2], "ext": nil, "type": "Voice", "embeddings": [1, 1.5 (f64)]}
    var loose =
        (TtsMessages.In.Voice)
            CODEC.decodeIn(
                HEX.parseHex(
                    "84a57368617065920102a3657874c0a474797065"
                        + "a5566f696365aa656d62656464696e67739201cb3ff8000000000000"));
    assertThat(loose.embeddings()).containsExactly(1f, 1.5f);
    assertThat(loose.shape()).containsExactly(1, 2);
    var ogg =
        (TtsMessages.Out.OggOpus)
            CODEC.decodeOut(HEX.parseHex("82a474797065a74f67674f707573a464617461c40201c8"));
    assertThat(ogg.data()).containsExactly(1, (byte) 200);
    var ogg2 =
        (TtsMessages.Out.OggOpus)
            CODEC.decodeOut(
                TtsMessages.encode(new TtsMessages.Out.OggOpus(new byte[] {1, (byte) 200})));
    assertThat(ogg2.data()).containsExactly(1, (byte) 200);
  }

  @Test
  void badMessagesSayWhatIsWrong() {
    assertThatThrownBy(() -> CODEC.decodeIn(new byte[0])).hasMessageContaining("empty message");
    assertThatThrownBy(() -> CODEC.decodeIn(HEX.parseHex("c1"))).hasMessageContaining("0xc1");
    assertThatThrownBy(() -> CODEC.decodeIn(HEX.parseHex("92a474797065a454657874")))
        .hasMessageContaining("not a MessagePack map");
    assertThatThrownBy(() -> CODEC.decodeIn(HEX.parseHex("81a474797065a454657874")))
        .hasMessage("Text message without its text field");
    assertThatThrownBy(() -> CODEC.decodeIn(HEX.parseHex("81a474797065a3466f6f")))
        .hasMessageContaining("unknown message type 'Foo'");
    assertThatThrownBy(() -> CODEC.decodeIn(HEX.parseHex("81a474797065")))
        .hasMessageContaining("truncated");
    assertThatThrownBy(() -> CODEC.decodeIn(HEX.parseHex("81a474797065a3456f7300")))
        .hasMessageContaining("trailing bytes");
    assertThatThrownBy(() -> CODEC.decodeIn(HEX.parseHex("82a474797065a3456f73a474797065a3456f73")))
        .hasMessageContaining("duplicate field 'type'");
    assertThatThrownBy(() -> CODEC.decodeIn(HEX.parseHex("81a474657874a26869")))
        .hasMessageContaining("without a \"type\" field");
    assertThatThrownBy(() -> CODEC.decodeIn(HEX.parseHex("82a474797065a454657874a47465787401")))
        .hasMessageContaining("'text' must be a string, got an integer");
    // Voice: a NaN embedding, a negative size.
    assertThatThrownBy(
            () ->
                CODEC.decodeIn(
                    TtsMessages.encode(
                        new TtsMessages.In.Voice(new float[] {Float.NaN}, new long[] {1}))))
        .hasMessageContaining("embeddings[0] is NaN");
    assertThatThrownBy(
            () ->
                CODEC.decodeIn(
                    TtsMessages.encode(new TtsMessages.In.Voice(new float[] {1}, new long[] {-1}))))
        .hasMessageContaining("must not be negative");
  }
}
