package dev.parley.codec.resample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.testing.Signals;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavReader;
import dev.parley.codec.wav.WavWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The resampler against the analytic signal (a sum of sines evaluated at the new rate's instants),
 * against sox, and against its own streaming properties. The filter is designed for about −90 dB:
 * pass band flat to 40% of the lower rate, stop band from 49%.
 */
class StreamingResamplerTest {

  private static final String PAIRS =
      "8000,24000\n24000,8000\n16000,24000\n24000,16000\n22050,24000\n"
          + "24000,22050\n44100,24000\n24000,44100\n48000,24000\n24000,48000\n48000,16000\n16000,48000\n"
          + "44100,23999\n192000,24000";

  @ParameterizedTest
  @CsvSource(textBlock = PAIRS)
  void tonesKeepFrequencyAndAmplitude(int from, int to) {
    int low = Math.min(from, to);
    for (double f : new double[] {0.05 * low, 0.2 * low, 0.4 * low}) {
      float[] in = Signals.sine(f, from, from * 2, 0.5);
      float[] out = StreamingResampler.resample(in, from, to);
      int a = to / 4;
      int b = out.length - to / 4;
      double amp = Signals.toneAmplitude(out, a, b, f, to);
      assertThat(amp)
          .as("%.0f Hz, %d -> %d", f, from, to)
          .isCloseTo(0.5, Offset.offset(0.5 * 0.023));
      double off = Signals.toneAmplitude(out, a, b, f * 1.1, to);
      assertThat(off).isLessThan(0.01);
    }
  }

  @ParameterizedTest
  @CsvSource(textBlock = PAIRS)
  void aSampledSineBecomesTheSameSineSampledAtTheNewRate(int from, int to) {
    int low = Math.min(from, to);
    for (double hz : new double[] {0.01 * low, 0.3 * low, 0.4 * low}) {
      float[] out = StreamingResampler.resample(Signals.sine(hz, from, from, 0.7), from, to);
      double maxErr = 0;
      for (int n = to / 50; n < out.length - to / 50; n++) {
        maxErr = Math.max(maxErr, Math.abs(out[n] - 0.7 * Math.sin(2 * Math.PI * hz * n / to)));
      }
      // No delay, no gain change, no image: the ideal signal to within -80 dB of the tone.
      assertThat(maxErr).as("%.0f Hz, %d -> %d", hz, from, to).isLessThan(0.7e-4);
    }
  }

  @ParameterizedTest
  @CsvSource(textBlock = PAIRS)
  void bandLimitedNoiseMatchesTheAnalyticSignal(int from, int to) {
    BandLimited x = new BandLimited(0.4 * Math.min(from, to), 11);
    float[] out = StreamingResampler.resample(x.sampled(from, from), from, to);
    float[] truth = x.sampled(to, to);
    assertThat(errorDb(out, truth, to / 20)).as("%d -> %d", from, to).isLessThan(-90);
  }

  @ParameterizedTest
  @CsvSource({
    "44100,24000",
    "48000,24000",
    "24000,48000",
    "22050,24000",
    "16000,24000",
    "24000,16000",
    "8000,24000",
    "24000,44100"
  })
  void agreesWithSox(int from, int to, @TempDir Path dir) throws Exception {
    ExternalTools.require("sox", "sox");
    BandLimited x = new BandLimited(0.4 * Math.min(from, to), 3);
    float[] in = x.sampled(from, from);
    Path wav = dir.resolve("in.wav");
    Path soxOut = dir.resolve("sox.wav");
    WavWriter.writeMono(wav, in, from, WavEncoding.FLOAT32);
    ExternalTools.run(
        "sox",
        wav.toString(),
        "-e",
        "floating-point",
        "-b",
        "32",
        soxOut.toString(),
        "rate",
        "-v",
        String.valueOf(to));
    float[] sox = WavReader.read(soxOut).samples();
    float[] ours = StreamingResampler.resample(in, from, to);
    assertThat(ours.length).isCloseTo(sox.length, Offset.offset(1));
    // Away from the edges, where each treats the signal's start differently, they agree sample by
    // sample.
    assertThat(errorDb(Arrays.copyOf(ours, sox.length), sox, to / 20)).isLessThan(-90);
  }

  @ParameterizedTest
  @CsvSource({
    "48000,24000",
    "44100,24000",
    "48000,16000",
    "24000,16000",
    "24000,8000",
    "192000,24000"
  })
  void tonesAboveTheNewNyquistAreRemovedNotAliased(int from, int to) {
    for (double f = 0.55 * to; f < 0.49 * from; f += 0.0371 * to) {
      float[] out = StreamingResampler.resample(Signals.sine(f, from, from, 0.5), from, to);
      double db =
          20 * Math.log10(Signals.rms(out, to / 20, out.length - to / 20) / (0.5 / Math.sqrt(2)));
      assertThat(db).as("%.0f Hz, %d -> %d", f, from, to).isLessThan(-90);
    }
  }

  @ParameterizedTest
  @CsvSource({"44100,24000", "16000,24000", "24000,48000", "44100,23999"})
  void dcInIsDcOut(int from, int to) {
    float[] dc = new float[from];
    Arrays.fill(dc, 0.25f);
    float[] out = StreamingResampler.resample(dc, from, to);
    for (int n = to / 50; n < out.length - to / 50; n++) {
      assertThat(out[n]).isCloseTo(0.25f, Offset.offset(1e-6f));
    }
  }

  @ParameterizedTest
  @CsvSource({
    "44100,24000",
    "24000,48000",
    "16000,24000",
    "44100,23999",
    "24000,24000",
    "48000,24000"
  })
  void chunkedEqualsOneShot(int from, int to) {
    Random random = new Random(from + to);
    float[] in = Signals.noise(from, 3 * from + 17, 0.5);
    float[] whole = StreamingResampler.resample(in, from, to);
    StreamingResampler r = new StreamingResampler(from, to);
    float[] streamed = new float[0];
    int off = 0;
    while (off < in.length) {
      int n = Math.min(in.length - off, random.nextInt(3000)); // includes 0- and 1-sample chunks
      streamed = Signals.concat(streamed, r.process(in, off, n));
      off += n;
    }
    streamed = Signals.concat(streamed, r.finish());
    assertThat(streamed).containsExactly(whole);
    assertThat(whole.length).isEqualTo((int) Math.ceil(in.length * (double) to / from));
  }

  @ParameterizedTest
  @CsvSource({"48000,24000", "16000,24000", "24000,48000", "44100,24000", "8000,24000"})
  void aLiveStreamLagsByTheFilterHalfLengthOnly(int from, int to) {
    // 32 zero crossings of a sinc cut at 45% of the lower rate: 35.6 samples of that rate.
    double halfLength = 32 / (0.9 * Math.min(from, to));
    StreamingResampler r = new StreamingResampler(from, to);
    int chunk = from / 50;
    long out = 0;
    for (int i = 1; i <= 50; i++) {
      out += r.process(new float[chunk]).length;
      double lag = i * chunk / (double) from - out / (double) to;
      assertThat(lag).isLessThanOrEqualTo(halfLength + 1.0 / Math.min(from, to) + 1.0 / to);
    }
  }

  @Test
  void equalRatesPassThroughAtOnceAndBadRatesAreRefused() {
    float[] x = Signals.noise(1, 100, 1);
    assertThat(new StreamingResampler(24000, 24000).process(x)).containsExactly(x);
    assertThat(StreamingResampler.resample(x, 24000, 24000)).containsExactly(x);
    assertThatThrownBy(() -> new StreamingResampler(0, 24000)).hasMessageContaining("positive");
    assertThatThrownBy(() -> new StreamingResampler(192000, 100))
        .hasMessageContaining("out of range");
    StreamingResampler done = new StreamingResampler(16000, 24000);
    done.finish();
    assertThatThrownBy(() -> done.process(x)).isInstanceOf(IllegalStateException.class);
  }

  /**
   * Error power relative to the truth's power, in dB, away from the first and last {@code margin}
   * samples.
   */
  private static double errorDb(float[] actual, float[] truth, int margin) {
    assertThat(actual).hasSameSizeAs(truth);
    double err = 0;
    double power = 0;
    for (int n = margin; n < truth.length - margin; n++) {
      err += Math.pow(actual[n] - truth[n], 2);
      power += Math.pow(truth[n], 2);
    }
    return 10 * Math.log10(err / power);
  }

  /**
   * 0.1 RMS of 200 sines of random frequency (20 Hz to {@code maxHz}) and phase: a signal any rate
   * can carry.
   */
  private static final class BandLimited {
    private final double[] hz = new double[200];
    private final double[] phase = new double[200];

    BandLimited(double maxHz, long seed) {
      Random r = new Random(seed);
      for (int k = 0; k < hz.length; k++) {
        hz[k] = 20 + r.nextDouble() * (maxHz - 20);
        phase[k] = r.nextDouble() * 2 * Math.PI;
      }
    }

    /** The signal at {@code rate} Hz for {@code samples} samples, evaluated exactly. */
    float[] sampled(int rate, int samples) {
      float[] x = new float[samples];
      double scale = 0.1 / Math.sqrt(hz.length / 2.0);
      for (int n = 0; n < samples; n++) {
        double v = 0;
        for (int k = 0; k < hz.length; k++) {
          v += Math.sin(2 * Math.PI * hz[k] * n / rate + phase[k]);
        }
        x[n] = (float) (v * scale);
      }
      return x;
    }
  }
}
