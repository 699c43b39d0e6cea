package dev.parley.codec.audio;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class FrameAssemblerTest {

  @RepeatedTest(20)
  void anyChunkingGivesTheSameFramesInOrder() {
    Random r = new Random();
    int total = r.nextInt(20_000);
    float[] signal = new float[total];
    for (int i = 0; i < total; i++) {
      signal[i] = i;
    }
    List<float[]> frames = new ArrayList<>();
    FrameAssembler a = new FrameAssembler(ModelAudio.FRAME_SAMPLES, frames::add);
    int pos = 0;
    while (pos < total) {
      int n = Math.min(total - pos, r.nextInt(5000));
      a.push(signal, pos, n);
      pos += n;
    }
    assertThat(frames).hasSize(total / 1920);
    assertThat(a.pendingSamples()).isEqualTo(total % 1920);
    for (int f = 0; f < frames.size(); f++) {
      assertThat(frames.get(f)).hasSize(1920);
      assertThat(frames.get(f)[0]).isEqualTo(f * 1920f);
      assertThat(frames.get(f)[1919]).isEqualTo(f * 1920f + 1919);
    }
    int padding = a.flushWithSilence();
    assertThat(padding).isEqualTo(total % 1920 == 0 ? 0 : 1920 - total % 1920);
  }

  @Test
  void mimiFramesBackToOpusPackets() {
    List<float[]> packets = new ArrayList<>();
    FrameAssembler toPackets = new FrameAssembler(480, packets::add);
    for (int f = 0; f < 3; f++) {
      float[] frame = new float[1920];
      java.util.Arrays.fill(frame, f);
      toPackets.push(frame);
    }
    assertThat(packets).hasSize(12);
    assertThat(packets.get(4)[0]).isEqualTo(1f);
    assertThat(toPackets.pendingSamples()).isZero();
  }

  @Test
  void flushPadsWithSilence() {
    List<float[]> frames = new ArrayList<>();
    FrameAssembler a = new FrameAssembler(4, frames::add);
    a.push(new float[] {1, 2, 3, 4, 5});
    assertThat(a.flushWithSilence()).isEqualTo(3);
    assertThat(frames.get(1)).containsExactly(5, 0, 0, 0);
    assertThat(a.flushWithSilence()).isZero();
  }
}
