package dev.parley.client.audio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.client.AudioFormats;
import dev.parley.codec.audio.Pcm;
import dev.parley.proto.v1.Encoding;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Chunks split anywhere, even inside a sample, decode to the samples that were encoded. */
class PcmDecoderTest {

  @Test
  void s16AndF32MonoAndStereoSurviveArbitrarySplits() {
    Random random = new Random(3);
    float[] mono = new float[5000];
    for (int i = 0; i < mono.length; i++) {
      mono[i] = (float) Math.sin(i * 0.01) * 0.8f;
    }
    for (Encoding e : new Encoding[] {Encoding.PCM_S16LE, Encoding.PCM_F32LE}) {
      for (int channels = 1; channels <= 2; channels++) {
        float[] interleaved = new float[mono.length * channels];
        for (int i = 0; i < mono.length; i++) {
          for (int c = 0; c < channels; c++) {
            interleaved[i * channels + c] = mono[i];
          }
        }
        byte[] bytes =
            e == Encoding.PCM_S16LE
                ? Pcm.monoToS16le(interleaved, 0, interleaved.length)
                : Pcm.monoToF32le(interleaved, 0, interleaved.length);
        PcmDecoder d = new PcmDecoder(AudioFormats.of(e, 24000, channels));
        float[] out = new float[0];
        for (int off = 0; off < bytes.length; ) {
          int n = Math.min(bytes.length - off, random.nextInt(37));
          float[] part = d.decode(Arrays.copyOfRange(bytes, off, off + n));
          float[] joined = Arrays.copyOf(out, out.length + part.length);
          System.arraycopy(part, 0, joined, out.length, part.length);
          out = joined;
          off += n;
        }
        float[] expected =
            e == Encoding.PCM_S16LE
                ? Pcm.s16leToMono(bytes, channels)
                : Pcm.f32leToMono(bytes, channels);
        assertThat(out).as(e + " " + channels + " ch").containsExactly(expected);
      }
    }
  }
}
