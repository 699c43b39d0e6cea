package dev.parley.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * What a newcomer meets first: every WAV the server's commands write is one sox reads without a
 * warning, the codec commands run offline on the demo Mimi, and errors name the file or the port
 * and the option that fixes it.
 */
class CliFilesAndErrorsTest {
  @TempDir static Path dir;
  static Path tone;

  @BeforeAll
  static void input() throws Exception {
    float[] x = new float[24000];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (0.3 * Math.sin(2 * Math.PI * 440 * i / 24000.0));
    }
    tone = dir.resolve("tone.wav");
    WavWriter.writeMono(tone, x, 24000, WavEncoding.PCM_S16);
  }

  /** Exit status, standard error. */
  record Run(int code, String err) {}

  static Run run(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cli = ParleyMain.commandLine();
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, err.toString());
  }

  /** sox reads the file without a word of warning; returns its sample count. */
  static long soxReadsCleanly(Path wav) throws Exception {
    String said =
        ExternalTools.run("sox", "-V2", wav.toString(), "-n", "stat")
            .lines()
            .filter(l -> l.contains("WARN") || l.contains("FAIL"))
            .reduce("", (a, b) -> a + b + "\n");
    assertThat(said).as("sox's warnings on %s", wav).isEmpty();
    return Long.parseLong(ExternalTools.run("soxi", "-s", wav.toString()).strip());
  }

  @Test
  void codecCommandsRunOfflineOnTheDemoMimiAndWriteACleanFloatWav() throws Exception {
    ExternalTools.require("sox", "sox");
    Path codes = dir.resolve("codes.safetensors");
    Path back = dir.resolve("back.wav");
    assertThat(run("codec", "encode", "--mimi", "demo", tone.toString(), codes.toString()).code())
        .isZero();
    long frames;
    try (SafeTensorsFile f = SafeTensorsFile.open(codes)) {
      long[] shape = f.info("codes").shape();
      assertThat(shape[0]).isEqualTo(1);
      frames = shape[2];
    }
    assertThat(frames).isEqualTo(24000 / 1920 + 1); // 12.5 frames of 80 ms: the last one padded
    assertThat(run("codec", "decode", "--mimi", "demo", codes.toString(), back.toString()).code())
        .isZero();
    assertThat(soxReadsCleanly(back)).isEqualTo(frames * 1920);
  }

  @Test
  void resampledAndSynthesizedFloatWavsAreCleanForSox() throws Exception {
    ExternalTools.require("sox", "sox");
    Path resampled = dir.resolve("r16.wav");
    assertThat(
            run("audio", "resample", tone.toString(), resampled.toString(), "--rate", "16000")
                .code())
        .isZero();
    assertThat(soxReadsCleanly(resampled)).isEqualTo(16000);
    assertThat(ExternalTools.run("soxi", "-e", resampled.toString())).contains("Floating Point");

    Path spoken = dir.resolve("hello.wav");
    assertThat(
            run(
                    "synthesize",
                    "--model",
                    "demo-tts",
                    "--text",
                    "Hello there.",
                    "-o",
                    spoken.toString())
                .code())
        .isZero();
    assertThat(soxReadsCleanly(spoken)).isPositive();
  }

  @Test
  void aMissingInputFileIsNamedAsSuch() {
    Path nosuch = dir.resolve("nosuch.wav");
    Run infer = run("infer", "--model", "demo", nosuch.toString(), dir.resolve("o.wav").toString());
    assertThat(infer.code()).isEqualTo(2);
    assertThat(infer.err()).isEqualTo("error: no such file: " + nosuch + System.lineSeparator());
    Path codes = dir.resolve("codes-nosuch.safetensors");
    Run decode = run("codec", "decode", "--mimi", "demo", codes.toString(), "x.wav");
    assertThat(decode.code()).isEqualTo(2);
    assertThat(decode.err()).contains("no such file: " + codes);
  }

  @Test
  void aPortInUseIsNamedWithTheOptionThatMovesIt() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      int p = taken.getLocalPort();
      Run http =
          run("serve", "--host", "127.0.0.1", "--port", Integer.toString(p), "--grpc-port", "-1");
      assertThat(http.code()).isEqualTo(2);
      assertThat(http.err())
          .contains("port " + p + " on 127.0.0.1 is already in use", "--port N")
          .doesNotContain("--grpc-port");
      Run grpc =
          run("serve", "--host", "127.0.0.1", "--port", "0", "--grpc-port", Integer.toString(p));
      assertThat(grpc.code()).isEqualTo(2);
      assertThat(grpc.err())
          .contains("gRPC port " + p + " on 127.0.0.1 is already in use", "--grpc-port N");
    }
  }

  /** sox's own measure of a file: {RMS amplitude, maximum absolute amplitude}. */
  static double[] soxLevels(Path wav) throws Exception {
    double rms = Double.NaN;
    double max = 0;
    for (String line : ExternalTools.run("sox", wav.toString(), "-n", "stat").lines().toList()) {
      String[] kv = line.split(":");
      if (kv.length != 2) {
        continue;
      }
      String k = kv[0].strip();
      double v = Double.parseDouble(kv[1].strip());
      if (k.equals("RMS     amplitude")) {
        rms = v;
      } else if (k.equals("Maximum amplitude") || k.equals("Minimum amplitude")) {
        max = Math.max(max, Math.abs(v));
      }
    }
    return new double[] {rms, max};
  }

  /**
   * The demo's random audio plays at a quiet level, not as full-scale noise: RMS between -60 and
   * -25 dBFS and peaks below -6 dBFS, as sox measures them, for the dialogue and TTS demos.
   */
  @Test
  void demoAudioIsQuiet() throws Exception {
    ExternalTools.require("sox", "sox");
    Path reply = dir.resolve("demo-reply.wav");
    assertThat(run("infer", "--model", "demo", tone.toString(), reply.toString()).code()).isZero();
    Path spoken = dir.resolve("demo-tts.wav");
    assertThat(
            run(
                    "synthesize",
                    "--model",
                    "demo-tts",
                    "--text",
                    "A quiet voice.",
                    "-o",
                    spoken.toString())
                .code())
        .isZero();
    for (Path wav : new Path[] {reply, spoken}) {
      double[] level = soxLevels(wav);
      System.out.printf(
          "%s: RMS %.1f dBFS, peak %.3f%n", wav.getFileName(), 20 * Math.log10(level[0]), level[1]);
      assertThat(20 * Math.log10(level[0])).as("RMS of %s in dBFS", wav).isBetween(-60.0, -25.0);
      assertThat(level[1]).as("peak of %s", wav).isLessThan(0.5);
    }
  }
}
