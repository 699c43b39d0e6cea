package dev.parley.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.parley.codec.audio.Pcm;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The streaming WAV writer of {@code parley speak}, checked by sox as an independent reader. */
class WavFileWriterTest {

  static float[] noise(int n, long seed) {
    float[] x = new float[n];
    Random r = new Random(seed);
    for (int i = 0; i < n; i++) {
      x[i] = (float) Math.max(-1, Math.min(1, 0.3 * r.nextGaussian()));
    }
    return x;
  }

  @Test
  void chunksSplitAnywhereMakeAFileSoxReadsAsWritten(@TempDir Path dir) throws Exception {
    ExternalTools.require("soxi", "sox");
    float[] x = noise(24000 * 2 + 480, 1); // 2.02 s
    byte[] pcm = Pcm.monoToS16le(x, 0, x.length);
    Path wav = dir.resolve("sub/speech.wav");
    try (WavFileWriter w = new WavFileWriter(wav, 24000, 1)) {
      // Uneven chunks, one splitting a sample in two.
      int[] cuts = {0, 1, 3841, 3843, 50_000, pcm.length};
      for (int i = 0; i + 1 < cuts.length; i++) {
        w.write(pcm, cuts[i], cuts[i + 1] - cuts[i]);
      }
      assertThat(w.frames()).isEqualTo(x.length);
    }
    assertThat(Files.size(wav)).isEqualTo(44 + pcm.length);
    assertThat(ExternalTools.run("soxi", "-r", wav.toString()).strip()).isEqualTo("24000");
    assertThat(ExternalTools.run("soxi", "-c", wav.toString()).strip()).isEqualTo("1");
    assertThat(ExternalTools.run("soxi", "-b", wav.toString()).strip()).isEqualTo("16");
    assertThat(ExternalTools.run("soxi", "-e", wav.toString()).strip())
        .isEqualTo("Signed Integer PCM");
    assertThat(ExternalTools.run("soxi", "-s", wav.toString()).strip())
        .isEqualTo(Integer.toString(x.length));
    assertThat(Double.parseDouble(ExternalTools.run("soxi", "-D", wav.toString()).strip()))
        .isCloseTo(2.02, within(1e-6));
    // sox's own conversion to raw s16 gives back exactly the bytes written.
    Path raw = dir.resolve("back.raw");
    ExternalTools.run(
        "sox", wav.toString(), "-t", "raw", "-e", "signed-integer", "-b", "16", raw.toString());
    assertThat(Files.readAllBytes(raw)).isEqualTo(pcm);
    WavAudio a = WavReader.read(wav);
    assertThat(a.sampleRate()).isEqualTo(24000);
    assertThat(a.encoding()).isEqualTo(WavEncoding.PCM_S16);
    assertThat(a.samples()).hasSize(x.length);
  }

  /**
   * A file cut off at any moment (the process killed between two appends, as Ctrl-C does) is a
   * valid WAV of the samples on disk: sox reads it without a warning and counts exactly those.
   */
  @Test
  void aFileCutOffBetweenAppendsIsAValidWavOfWhatWasWritten(@TempDir Path dir) throws Exception {
    ExternalTools.require("sox", "sox");
    float[] x = noise(4800, 2);
    Path wav = dir.resolve("live.wav");
    try (WavFileWriter w = new WavFileWriter(wav, 24000, 1)) {
      for (int chunk = 1; chunk <= 3; chunk++) {
        w.write(Pcm.monoToS16le(x, 0, x.length));
        // What a killed process leaves: the file as it is now, never closed.
        Path cut = dir.resolve("cut" + chunk + ".wav");
        Files.copy(wav, cut);
        assertThat(ExternalTools.run("soxi", "-s", cut.toString()).strip())
            .isEqualTo(Integer.toString(chunk * x.length));
        Path raw = dir.resolve("cut" + chunk + ".raw");
        String said =
            ExternalTools.run(
                "sox",
                "-V2",
                cut.toString(),
                "-t",
                "raw",
                "-e",
                "signed-integer",
                "-b",
                "16",
                raw.toString());
        assertThat(said).as("what sox said").isEmpty();
        assertThat(Files.size(raw)).isEqualTo(2L * chunk * x.length);
      }
    }
    assertThat(ExternalTools.run("soxi", "-s", wav.toString()).strip()).isEqualTo("14400");
  }

  @Test
  void anEmptySynthesisIsAValidEmptyFile(@TempDir Path dir) throws Exception {
    ExternalTools.require("soxi", "sox");
    Path wav = dir.resolve("empty.wav");
    new WavFileWriter(wav, 24000, 1).close();
    assertThat(Files.size(wav)).isEqualTo(44);
    assertThat(ExternalTools.run("soxi", "-s", wav.toString()).strip()).isEqualTo("0");
  }
}
