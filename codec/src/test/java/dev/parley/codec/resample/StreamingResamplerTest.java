package dev.parley.codec.resample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.codec.testing.Signals;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Tolerances: a tone in the pass band (below 40% of the lower rate) keeps its amplitude within
 * 0.2 dB and its frequency exactly (Goertzel energy at the expected frequency; none at the
 * neighbouring bins); total length is input × ratio within the filter's rounding of 2 samples.
 */
class StreamingResamplerTest {

  private static final String PAIRS = "8000,24000\n24000,8000\n16000,24000\n24000,16000\n22050,24000\n"
      + "24000,22050\n44100,24000\n24000,44100\n48000,24000\n24000,48000";

  @ParameterizedTest
  @CsvSource(textBlock = PAIRS)
  void tonesKeepFrequencyAndAmplitude(int from, int to) {
    int low = Math.min(from, to);
    for (double f : new double[] {0.05 * low, 0.2 * low, 0.4 * low}) {
      float[] in = Signals.sine(f, from, from * 2, 0.5);
      float[] out = StreamingResampler.resample(in, from, to);
      assertThat(out.length).isCloseTo((int) Math.round(in.length * (double) to / from), Offset.offset(2));
      int a = to / 4;
      int b = out.length - to / 4;
      double amp = Signals.toneAmplitude(out, a, b, f, to);
      assertThat(amp).as("%.0f Hz, %d -> %d", f, from, to).isCloseTo(0.5, Offset.offset(0.5 * 0.023));
      double off = Signals.toneAmplitude(out, a, b, f * 1.1, to);
      assertThat(off).isLessThan(0.01);
    }
  }

  @ParameterizedTest
  @CsvSource(textBlock = PAIRS)
  void sweepKeepsItsShape(int from, int to) {
    int low = Math.min(from, to);
    float[] in = Signals.sweep(50, 0.4 * low, from, from * 2, 0.5);
    float[] out = StreamingResampler.resample(in, from, to);
    // The sweep's envelope is flat at 0.5 / sqrt(2) RMS everywhere in the pass band.
    int window = to / 50;
    for (int w = 2; w < out.length / window - 2; w++) {
      assertThat(Signals.rms(out, w * window, (w + 1) * window)).as("window %d", w)
          .isCloseTo(0.5 / Math.sqrt(2), Offset.offset(0.5 / Math.sqrt(2) * 0.03));
    }
  }

  @ParameterizedTest
  @CsvSource(textBlock = PAIRS)
  void chunkedEqualsOneShot(int from, int to) {
    float[] in = Signals.noise(7, from, 0.5);
    float[] whole = StreamingResampler.resample(in, from, to);
    Random r = new Random(from + to);
    StreamingResampler s = new StreamingResampler(from, to);
    float[] acc = new float[0];
    int pos = 0;
    while (pos < in.length) {
      int n = Math.min(in.length - pos, r.nextInt(2000));
      acc = Signals.concat(acc, s.process(in, pos, n));
      pos += n;
    }
    acc = Signals.concat(acc, s.finish());
    assertThat(acc).containsExactly(whole);
  }

  @org.junit.jupiter.api.Test
  void equalRatesPassThroughAndBadRatesAreRefused() {
    float[] x = Signals.noise(1, 100, 1);
    assertThat(StreamingResampler.resample(x, 24000, 24000)).containsExactly(x);
    assertThatThrownBy(() -> new StreamingResampler(0, 24000)).hasMessageContaining("positive");
  }
}
