package dev.parley.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavReader;
import dev.parley.codec.wav.WavWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ParleyMainTest {
  @TempDir Path dir;

  @Test
  void defaultCommandLoadsLibtorchOfflineAndListsEveryCommandOfTheBuild() {
    PrintStream original = System.out;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true));
    int code;
    try {
      code = ParleyMain.commandLine().execute();
    } finally {
      System.setOut(original);
    }
    assertThat(code).isZero();
    assertThat(captured.toString())
        .contains(
            "PyTorch 2.7.1 engine loaded offline on cpu ",
            "1+2+3+4 = 10",
            "serve",
            "synthesize",
            "codec encode, codec decode",
            "bench mimi, bench lm, bench chat, bench stt, bench tts",
            "infer --help");
    assertThat(captured.toString()).doesNotContain("Not yet", "cpu()");
  }

  @Test
  void wavToOpusToWavKeepsTheTone() throws Exception {
    int n = 44100;
    float[] tone = new float[n];
    for (int i = 0; i < n; i++) {
      tone[i] = (float) (0.5 * Math.sin(2 * Math.PI * 440 * i / 44100.0));
    }
    Path wav = dir.resolve("in.wav");
    WavWriter.writeMono(wav, tone, 44100, WavEncoding.PCM_S16);
    Path opus = dir.resolve("out.opus");
    Path back = dir.resolve("back.wav");
    CommandLine cli = ParleyMain.commandLine();
    assertThat(cli.execute("audio", "to-opus", wav.toString(), opus.toString())).isZero();
    assertThat(
            cli.execute(
                "audio", "to-wav", "--encoding", "float32", opus.toString(), back.toString()))
        .isZero();
    WavAudio decoded = WavReader.read(back);
    assertThat(decoded.sampleRate()).isEqualTo(24000);
    assertThat(decoded.samples().length).isBetween(24000 - 2, 24000 + 2);
    // Zero crossings of a 440 Hz tone over the middle half second: 440 ± 2.
    int crossings = 0;
    float[] s = decoded.samples();
    for (int i = 6000; i < 18000; i++) {
      if (s[i - 1] < 0 && s[i] >= 0) {
        crossings++;
      }
    }
    assertThat(crossings).isBetween(218, 222);
  }

  @Test
  void aBadInputFileIsOneClearLineAndExitCodeTwo() throws Exception {
    Path junk = dir.resolve("junk.opus");
    Files.writeString(junk, "this is not an Ogg stream");
    StringWriter err = new StringWriter();
    CommandLine cli = ParleyMain.commandLine();
    cli.setErr(new PrintWriter(err));
    assertThat(cli.execute("audio", "to-wav", junk.toString(), dir.resolve("x.wav").toString()))
        .isEqualTo(2);
    assertThat(err.toString()).startsWith("error: bad capture pattern");
  }
}
