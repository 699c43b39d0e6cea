package dev.parley.client.sound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.DataLine;
import javax.sound.sampled.SourceDataLine;
import javax.sound.sampled.TargetDataLine;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Machines without a sound card (CI) must get a clear error, not a javax.sound stack trace. On a
 * machine with sound the error path cannot be reached, so those tests are skipped there.
 */
class SoundDevicesTest {

  @Test
  void withoutAMicrophoneOpenSaysSoAndWhatWasTried() {
    Assumptions.assumeFalse(
        anySupported(TargetDataLine.class), "this machine has a microphone line");
    assertThatThrownBy(() -> MicrophoneCapture.open(24000, Duration.ofMillis(80), x -> {}))
        .isInstanceOf(SoundDeviceException.class)
        .hasMessageStartingWith("no microphone available")
        .satisfies(
            e -> assertThat(e.getMessage()).containsAnyOf("no sound device at all", "mixers seen"));
  }

  @Test
  void withoutASpeakerOpenSaysSo() {
    Assumptions.assumeFalse(anySupported(SourceDataLine.class), "this machine has a playback line");
    assertThatThrownBy(() -> SpeakerPlayback.open(24000, Duration.ofSeconds(2)))
        .isInstanceOf(SoundDeviceException.class)
        .hasMessageStartingWith("no speaker available");
  }

  @Test
  void candidateFormatsStartWithTheWantedRateInMonoAndAre16Bit() {
    var c = LineFinder.candidates(24000);
    assertThat(c.get(0).getSampleRate()).isEqualTo(24000f);
    assertThat(c.get(0).getChannels()).isEqualTo(1);
    assertThat(c)
        .allSatisfy(
            f -> {
              assertThat(f.getSampleSizeInBits()).isEqualTo(16);
              assertThat(f.getEncoding()).isEqualTo(AudioFormat.Encoding.PCM_SIGNED);
              assertThat(f.isBigEndian()).isFalse();
            });
    assertThat(c.stream().map(AudioFormat::getSampleRate).distinct())
        .contains(48000f, 44100f, 16000f);
    assertThat(c.stream().filter(f -> f.getChannels() == 2)).isNotEmpty();
  }

  private static boolean anySupported(Class<? extends DataLine> type) {
    return LineFinder.candidates(24000).stream()
        .anyMatch(f -> AudioSystem.isLineSupported(new DataLine.Info(type, f)));
  }
}
