package dev.parley.client.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavReader;
import dev.parley.codec.wav.WavWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The resampler against sox, against the analytic signal, and against its own properties. */
class ResamplerTest {

  @Test
  void agreesWithSoxOnASine44100To24000(@TempDir Path dir) throws Exception {
    ExternalTools.require("sox", "sox");
    float[] in = sine(44100, 44100, 1000, 0.5);
    Path wav = dir.resolve("in.wav");
    Path soxOut = dir.resolve("sox.wav");
    WavWriter.writeMono(wav, in, 44100, WavEncoding.FLOAT32);
    ExternalTools.run("sox", wav.toString(), "-e", "floating-point", "-b", "32", soxOut.toString(), "rate", "-v", "24000");
    WavAudio sox = WavReader.read(soxOut);

    float[] ours = Resampler.resample(in, 44100, 24000);
    assertThat(ours.length).isCloseTo(sox.samples().length, within(1));
    // Away from the edges (where each treats the signal's start differently) the two agree sample by sample.
    double maxDiff = 0;
    for (int i = 200; i < Math.min(ours.length, sox.samples().length) - 200; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(ours[i] - sox.samples()[i]));
    }
    assertThat(maxDiff).isLessThan(1e-3);
    // And both are the same sine, sampled at 24 kHz: frequency and amplitude kept.
    double[] fit = fitSine(ours, 24000, 1000, 200);
    assertThat(fit[0]).isCloseTo(0.5, within(0.005));
    assertThat(fit[1]).as("residual after removing a 1 kHz sine").isLessThan(1e-3);
  }

  @ParameterizedTest
  @CsvSource({"44100,24000", "48000,24000", "16000,24000", "24000,44100", "24000,48000", "22050,24000", "8000,24000",
      "24000,16000", "44100,23999"})
  void aSampledSineBecomesTheSameSineSampledAtTheNewRate(int from, int to) {
    double hz = 0.3 * Math.min(from, to); // well inside both pass bands
    float[] out = Resampler.resample(sine(from, from, hz, 0.7), from, to);
    assertThat(out.length).isEqualTo((int) Math.ceil(from * (double) to / from));
    double maxErr = 0;
    for (int n = 300; n < out.length - 300; n++) {
      maxErr = Math.max(maxErr, Math.abs(out[n] - 0.7 * Math.sin(2 * Math.PI * hz * n / to)));
    }
    assertThat(maxErr).isLessThan(2e-3); // no delay, no gain change: it is the ideal signal
  }

  @ParameterizedTest
  @CsvSource({"44100,24000", "16000,24000", "24000,48000", "44100,23999"})
  void dcInIsDcOut(int from, int to) {
    float[] dc = new float[from];
    Arrays.fill(dc, 0.25f);
    float[] out = Resampler.resample(dc, from, to);
    for (int n = 200; n < out.length - 200; n++) {
      assertThat(out[n]).isCloseTo(0.25f, within(1e-6f));
    }
  }

  @ParameterizedTest
  @CsvSource({"48000,16000,5000", "16000,48000,5000", "44100,24000,9000", "24000,44100,3000"})
  void theEnergyOfABandLimitedToneIsKeptWithinOneDecibel(int from, int to, double hz) {
    float[] in = sine(2 * from, from, hz, 0.5);
    float[] out = Resampler.resample(in, from, to);
    double inPower = meanSquare(in, from / 10, in.length - from / 10);
    double outPower = meanSquare(out, to / 10, out.length - to / 10);
    assertThat(Math.abs(10 * Math.log10(outPower / inPower))).isLessThan(1.0);
  }

  @Test
  void toneAboveTheNewNyquistIsRemovedNotAliased() {
    float[] in = sine(48000, 48000, 15000, 0.5); // would alias to 9 kHz at 24 kHz
    float[] out = Resampler.resample(in, 48000, 24000);
    double ratioDb = 10 * Math.log10(meanSquare(out, 2400, out.length - 2400) / meanSquare(in, 4800, in.length - 4800));
    assertThat(ratioDb).isLessThan(-70);
  }

  @ParameterizedTest
  @CsvSource({"44100,24000", "24000,48000", "16000,24000", "44100,23999", "24000,24000"})
  void streamingInRandomChunksGivesExactlyTheOneCallResult(int from, int to) {
    Random random = new Random(from + to);
    float[] in = new float[3 * from + 17];
    for (int i = 0; i < in.length; i++) {
      in[i] = (float) random.nextGaussian() * 0.2f;
    }
    float[] whole = Resampler.resample(in, from, to);
    Resampler r = new Resampler(from, to);
    float[] streamed = new float[0];
    int off = 0;
    while (off < in.length) {
      int n = Math.min(in.length - off, random.nextInt(3000)); // includes 0- and 1-sample chunks
      streamed = concat(streamed, r.process(in, off, n));
      off += n;
    }
    streamed = concat(streamed, r.flush());
    assertThat(streamed).containsExactly(whole);
    assertThat(whole.length).isEqualTo((int) Math.ceil(in.length * (double) to / from));
  }

  @Test
  void sameRateIsTheIdentity() {
    float[] in = sine(1000, 24000, 440, 0.3);
    assertThat(Resampler.resample(in, 24000, 24000)).containsExactly(in);
  }

  static float[] sine(int n, int rate, double hz, double amplitude) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (amplitude * Math.sin(2 * Math.PI * hz * i / rate));
    }
    return x;
  }

  /** Least-squares fit of a·sin + b·cos at {@code hz}: returns {amplitude, RMS residual}. */
  static double[] fitSine(float[] x, int rate, double hz, int margin) {
    double ss = 0, cc = 0, sc = 0, xs = 0, xc = 0;
    for (int n = margin; n < x.length - margin; n++) {
      double s = Math.sin(2 * Math.PI * hz * n / rate);
      double c = Math.cos(2 * Math.PI * hz * n / rate);
      ss += s * s;
      cc += c * c;
      sc += s * c;
      xs += x[n] * s;
      xc += x[n] * c;
    }
    double det = ss * cc - sc * sc;
    double a = (xs * cc - xc * sc) / det;
    double b = (xc * ss - xs * sc) / det;
    double res = 0;
    for (int n = margin; n < x.length - margin; n++) {
      double e = x[n] - a * Math.sin(2 * Math.PI * hz * n / rate) - b * Math.cos(2 * Math.PI * hz * n / rate);
      res += e * e;
    }
    return new double[] {Math.hypot(a, b), Math.sqrt(res / (x.length - 2 * margin))};
  }

  static double meanSquare(float[] x, int from, int to) {
    double s = 0;
    for (int i = from; i < to; i++) {
      s += x[i] * (double) x[i];
    }
    return s / (to - from);
  }

  static float[] concat(float[] a, float[] b) {
    float[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
