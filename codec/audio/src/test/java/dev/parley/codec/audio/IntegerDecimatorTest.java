package dev.parley.codec.audio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.codec.testing.Signals;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IntegerDecimatorTest {

  private static float[] run(IntegerDecimator d, float[] in, int chunk) {
    float[][] acc = {new float[0]};
    PcmConsumer sink =
        (x, o, n) -> {
          float[] grown = java.util.Arrays.copyOf(acc[0], acc[0].length + n);
          System.arraycopy(x, o, grown, acc[0].length, n);
          acc[0] = grown;
        };
    for (int i = 0; i < in.length; i += chunk) {
      d.process(in, i, Math.min(chunk, in.length - i), sink);
    }
    d.finish(sink);
    return acc[0];
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3, 4, 6})
  void passBandKeptStopBandRemovedAndAligned(int factor) {
    int outRate = 48000 / factor;
    double pass = 0.35 * outRate;
    float[] in = Signals.sine(pass, 48000, 48000, 0.5);
    float[] out = run(new IntegerDecimator(factor), in, 777);
    assertThat(out).hasSize(48000 / factor);
    double amp = Signals.toneAmplitude(out, 1000, out.length - 1000, pass, outRate);
    assertThat(amp)
        .isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.5 * 0.06)); // within 0.5 dB
    // Aligned: output k equals input k·factor for an in-band tone.
    for (int k = 500; k < 600; k++) {
      assertThat((double) out[k])
          .isCloseTo(in[k * factor], org.assertj.core.data.Offset.offset(0.03));
    }
    // A tone above the new Nyquist would alias; it must be at least 60 dB down.
    float[] high = Signals.sine(0.6 * outRate, 48000, 48000, 0.5);
    float[] aliased = run(new IntegerDecimator(factor), high, 4096);
    assertThat(Signals.rms(aliased, 1000, aliased.length - 1000))
        .isLessThan(0.5 / Math.sqrt(2) * 1e-3);
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3})
  void chunkingDoesNotChangeTheOutput(int factor) {
    float[] in = Signals.noise(3, 10_007, 0.5);
    float[] whole = run(new IntegerDecimator(factor), in, in.length);
    float[] pieces = run(new IntegerDecimator(factor), in, 13);
    assertThat(pieces).containsExactly(whole);
  }
}
