package dev.parley.codec.wav;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.testing.Signals;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class WavTest {
  @TempDir Path dir;

  private static byte[] write(float[] interleaved, int channels, int rate, WavEncoding e)
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    WavWriter.write(out, interleaved, channels, rate, e);
    return out.toByteArray();
  }

  @Test
  void float32RoundTripsBitExactly() throws Exception {
    float[] x = Signals.noise(1, 10_001, 1.5);
    x[0] = -0.0f;
    x[1] = Float.MIN_VALUE;
    x[2] = 1e30f;
    x[3] = Float.NaN;
    WavAudio back =
        WavReader.read(new ByteArrayInputStream(write(x, 1, 44100, WavEncoding.FLOAT32)));
    assertThat(back.sampleRate()).isEqualTo(44100);
    assertThat(back.encoding()).isEqualTo(WavEncoding.FLOAT32);
    for (int i = 0; i < x.length; i++) {
      assertThat(Float.floatToRawIntBits(back.samples()[i]))
          .as("sample %d", i)
          .isEqualTo(Float.floatToRawIntBits(x[i]));
    }
  }

  @ParameterizedTest
  @EnumSource(WavEncoding.class)
  void everyEncodingRoundTripsWithinOneStep(WavEncoding e) throws Exception {
    float[] x = Signals.noise(2, 4_801, 0.99);
    WavAudio back = WavReader.read(new ByteArrayInputStream(write(x, 1, 8000, e)));
    double step =
        e == WavEncoding.FLOAT32 || e == WavEncoding.FLOAT64 ? 0 : Math.pow(2, 1 - e.bitsPerSample);
    assertThat(back.samples()).hasSize(x.length);
    for (int i = 0; i < x.length; i++) {
      assertThat((double) Math.abs(back.samples()[i] - x[i]))
          .as("sample %d", i)
          .isLessThanOrEqualTo(step / 2 + 1e-7);
    }
  }

  @Test
  void integerSamplesRoundTripExactly() throws Exception {
    float[] all = new float[65536];
    for (int i = 0; i < all.length; i++) {
      all[i] = (i - 32768) / 32768f;
    }
    WavAudio back =
        WavReader.read(new ByteArrayInputStream(write(all, 1, 16000, WavEncoding.PCM_S16)));
    assertThat(back.samples()).containsExactly(all);
  }

  @Test
  void stereoIsMixedDownByAveraging() throws Exception {
    float[] interleaved = {0.5f, -0.5f, 1f, 0f, 0.25f, 0.25f};
    WavAudio back =
        WavReader.read(new ByteArrayInputStream(write(interleaved, 2, 48000, WavEncoding.FLOAT32)));
    assertThat(back.channels()).isEqualTo(2);
    assertThat(back.samples()).containsExactly(0f, 0.5f, 0.25f);
  }

  @Test
  void unsupportedEncodingIsNamed() throws Exception {
    byte[] file = write(new float[16], 1, 8000, WavEncoding.PCM_U8);
    ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putShort(20, (short) 6); // A-law
    assertThatThrownBy(() -> WavReader.read(new ByteArrayInputStream(file)))
        .isInstanceOf(UnsupportedWavException.class)
        .hasMessageContaining("A-law");
    byte[] pcm12 = write(new float[16], 1, 8000, WavEncoding.PCM_S16);
    ByteBuffer.wrap(pcm12).order(ByteOrder.LITTLE_ENDIAN).putShort(34, (short) 12);
    assertThatThrownBy(() -> WavReader.read(new ByteArrayInputStream(pcm12)))
        .isInstanceOf(UnsupportedWavException.class)
        .hasMessageContaining("12 bits");
  }

  @Test
  void notAWavFile() {
    assertThatThrownBy(
            () -> WavReader.read(new ByteArrayInputStream("OggS and more bytes".getBytes())))
        .isInstanceOf(UnsupportedWavException.class)
        .hasMessageContaining("not a RIFF WAVE");
    assertThatThrownBy(() -> WavReader.read(new ByteArrayInputStream(new byte[3])))
        .isInstanceOf(UnsupportedWavException.class)
        .hasMessageContaining("too short");
  }

  /**
   * Files written by sox (independent of our writer): extensible headers, 24-bit, 8-bit, stereo.
   */
  @Test
  void readsWhatSoxWrites() throws Exception {
    ExternalTools.require("sox", "sox");
    float[] tone = Signals.sine(1000, 48000, 4800, 0.5);
    Path src = dir.resolve("src.wav");
    WavWriter.writeMono(src, tone, 48000, WavEncoding.FLOAT32);
    String[][] variants = {
      {"-e", "signed-integer", "-b", "16"}, {"-e", "signed-integer", "-b", "24"},
      {"-e", "signed-integer", "-b", "32"}, {"-e", "unsigned-integer", "-b", "8"},
      {"-e", "floating-point", "-b", "64"}
    };
    for (String[] v : variants) {
      Path out = dir.resolve("sox-" + v[3] + v[1] + ".wav");
      ExternalTools.run("sox", "-D", src.toString(), v[0], v[1], v[2], v[3], out.toString());
      WavAudio back = WavReader.read(out);
      double step = Math.pow(2, 1 - Integer.parseInt(v[3]));
      assertThat(back.samples()).hasSize(tone.length);
      for (int i = 0; i < tone.length; i++) {
        assertThat((double) Math.abs(back.samples()[i] - tone[i]))
            .as("%s sample %d", String.join(" ", v), i)
            .isLessThanOrEqualTo(step / 2 + 1e-7); // -D: no dither, plain rounding
      }
    }
    Path stereo = dir.resolve("stereo.wav");
    ExternalTools.run(
        "sox",
        "-M",
        src.toString(),
        src.toString(),
        "-e",
        "signed-integer",
        "-b",
        "24",
        stereo.toString());
    WavAudio back = WavReader.read(stereo);
    assertThat(back.channels()).isEqualTo(2);
    assertThat((double) back.samples()[1200])
        .isCloseTo(tone[1200], org.assertj.core.data.Offset.offset(1e-6));
  }

  /**
   * sox reads every encoding we write without a warning (float WAVs need fmt's cbSize and a fact
   * chunk), finds the frame count we wrote, and decodes the samples to within the encoding's step.
   */
  @ParameterizedTest
  @EnumSource(WavEncoding.class)
  void soxReadsEveryEncodingWeWriteWithoutAWarning(WavEncoding e) throws Exception {
    ExternalTools.require("sox", "sox");
    float[] tone = Signals.sine(440, 24000, 2401, 0.5);
    Path wav = dir.resolve(e + ".wav");
    WavWriter.writeMono(wav, tone, 24000, e);
    assertThat(java.nio.file.Files.list(dir).map(p -> p.getFileName().toString()))
        .as("nothing left beside the file")
        .containsExactly(e + ".wav");
    assertThat(ExternalTools.run("soxi", "-s", wav.toString()).strip()).isEqualTo("2401");
    assertThat(ExternalTools.run("soxi", "-r", wav.toString()).strip()).isEqualTo("24000");
    assertThat(ExternalTools.run("soxi", "-b", wav.toString()).strip())
        .isEqualTo(Integer.toString(e.bitsPerSample));
    Path raw = dir.resolve(e + ".f64");
    // -V2: warnings on; their text comes back with the output, which must be empty.
    String said =
        ExternalTools.run(
            "sox",
            "-V2",
            "-D",
            wav.toString(),
            "-t",
            "f64",
            "-e",
            "floating-point",
            raw.toString());
    assertThat(said).as("what sox said reading %s", e).isEmpty();
    ByteBuffer decoded =
        ByteBuffer.wrap(java.nio.file.Files.readAllBytes(raw)).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(decoded.remaining()).isEqualTo(8 * tone.length);
    double step = e.formatTag == 3 ? 1e-7 : Math.pow(2, 1 - e.bitsPerSample);
    for (int i = 0; i < tone.length; i++) {
      assertThat(Math.abs(decoded.getDouble() - tone[i]))
          .as("%s sample %d", e, i)
          .isLessThanOrEqualTo(step);
    }
  }

  @Test
  void writingOverAFileReplacesItWhole() throws Exception {
    Path wav = dir.resolve("again.wav");
    WavWriter.writeMono(wav, Signals.sine(440, 24000, 48000, 0.5), 24000, WavEncoding.FLOAT32);
    WavWriter.writeMono(wav, Signals.sine(440, 24000, 100, 0.5), 24000, WavEncoding.PCM_S16);
    WavAudio back = WavReader.read(wav);
    assertThat(back.samples()).hasSize(100);
    assertThat(java.nio.file.Files.size(wav)).isEqualTo(44 + 200);
  }
}
