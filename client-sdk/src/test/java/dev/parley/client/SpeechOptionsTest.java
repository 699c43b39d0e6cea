package dev.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.proto.v1.AudioFormat;
import dev.parley.proto.v1.Encoding;
import dev.parley.proto.v1.SynthesizeRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SpeechOptions to SynthesizeRequest: what is set goes out, what is not stays unset for the
 * server's defaults.
 */
class SpeechOptionsTest {

  @Test
  void defaultsAsk24kS16MonoAndLeaveSamplingAndVoiceToTheServer() {
    SynthesizeRequest r = SpeechOptions.defaults().toRequest("Hello world.");
    assertThat(r.getText()).isEqualTo("Hello world.");
    assertThat(r.getOutputFormat()).isEqualTo(AudioFormats.pcmS16le(24000));
    assertThat(r.getOutputFormat().getChannels()).isEqualTo(1);
    assertThat(r.getVoice()).isEmpty();
    assertThat(r.getVoicesList()).isEmpty();
    assertThat(r.getTurnsList()).isEmpty();
    assertThat(r.hasTemperature()).isFalse();
    assertThat(r.hasSeed()).isFalse();
    assertThat(r.hasCfgCoef()).isFalse();
    assertThat(SpeechOptions.defaults().maxBufferedBytes())
        .isEqualTo(SpeechOptions.DEFAULT_MAX_BUFFERED_BYTES);
  }

  @Test
  void everyOptionReachesTheRequest() {
    SpeechOptions o =
        SpeechOptions.builder()
            .voice("alto")
            .temperature(0.25f)
            .seed(-3)
            .cfgCoef(1.5f)
            .outputFormat(AudioFormats.oggOpus(48000))
            .maxBufferedBytes(99)
            .build();
    SynthesizeRequest r = o.toRequest("Hi");
    assertThat(r.getVoice()).isEqualTo("alto");
    assertThat(r.getTemperature()).isEqualTo(0.25f);
    assertThat(r.getSeed()).isEqualTo(-3L); // uint64 on the wire: the same 64 bits
    assertThat(r.getCfgCoef()).isEqualTo(1.5f);
    assertThat(r.getOutputFormat())
        .isEqualTo(
            AudioFormat.newBuilder()
                .setEncoding(Encoding.OGG_OPUS)
                .setSampleRateHz(48000)
                .setChannels(1)
                .build());
    assertThat(o.maxBufferedBytes()).isEqualTo(99);
    assertThat(o.toBuilder().build().toRequest("Hi")).isEqualTo(r);
    assertThat(o.toBuilder().greedy().build().toRequest("Hi").getTemperature()).isZero();
  }

  @Test
  void turnsAndVoicesMakeADialogueWithoutText() {
    SpeechOptions o =
        SpeechOptions.builder()
            .turns(List.of("Hi!", "Hello."))
            .voices(List.of("alto", "bass"))
            .build();
    SynthesizeRequest r = o.toRequest(null);
    assertThat(r.getText()).isEmpty();
    assertThat(r.getTurnsList()).containsExactly("Hi!", "Hello.");
    assertThat(r.getVoicesList()).containsExactly("alto", "bass");
    assertThat(o.toRequest("")).isEqualTo(r);
    assertThatThrownBy(() -> o.toRequest("and text"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("text or turns");
  }

  @Test
  void badValuesAreRefusedOnTheClient() {
    SpeechOptions.Builder b = SpeechOptions.builder();
    assertThatThrownBy(() -> b.temperature(-0.1f)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.temperature(Float.NaN)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.cfgCoef(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.maxBufferedBytes(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.outputFormat(AudioFormat.getDefaultInstance()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("encoding");
    assertThatThrownBy(() -> b.voices(List.of("alto", " ")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(b.voice("").build().voice()).isNull();
  }
}
