package dev.parley.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavReader;
import dev.parley.codec.wav.WavWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code codec encode/decode} end to end against the reference's tiny-Mimi outputs. */
class CodecCliTest {
  @TempDir static Path dir;
  static Path wav;
  static SafeTensorsFile io;

  @BeforeAll
  static void input() throws Exception {
    io = Golden.open("mimi_tiny.io.safetensors");
    wav = dir.resolve("in.wav");
    WavWriter.writeMono(wav, io.floats("pcm"), 24000, WavEncoding.FLOAT32);
  }

  static String[] mimi(String... rest) {
    String[] head = {
      "--mimi",
      Golden.path("mimi_tiny.safetensors").toString(),
      "--mimi-config",
      Golden.path("mimi_tiny.config.json").toString()
    };
    String[] all = new String[head.length + rest.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(rest, 0, all, head.length, rest.length);
    return all;
  }

  static int run(String... args) {
    return ParleyMain.commandLine().execute(args);
  }

  @Test
  void wholeAndStreamingEncodeGiveTheReferenceCodes() throws Exception {
    Path whole = dir.resolve("whole.safetensors");
    Path stream = dir.resolve("stream.safetensors");
    assertThat(
            run(concat(new String[] {"codec", "encode"}, mimi(wav.toString(), whole.toString()))))
        .isZero();
    assertThat(
            run(
                concat(
                    new String[] {"codec", "encode", "--streaming"},
                    mimi(wav.toString(), stream.toString()))))
        .isZero();
    try (SafeTensorsFile w = SafeTensorsFile.open(whole);
        SafeTensorsFile s = SafeTensorsFile.open(stream)) {
      assertThat(w.info("codes").shape()).containsExactly(1, 8, 30);
      assertThat(w.longs("codes")).isEqualTo(io.longs("codes"));
      assertThat(s.longs("codes")).isEqualTo(io.longs("stream_codes"));
    }
  }

  @Test
  void decodeWritesTheReferencePcmAsFloatWav() throws Exception {
    Path codes = dir.resolve("codes.safetensors");
    new dev.parley.codec.tensor.SafeTensorsWriter()
        .putLongs("codes", new long[] {1, 8, 30}, io.longs("codes"))
        .write(codes);
    Path out = dir.resolve("decoded.wav");
    Path streamOut = dir.resolve("stream_decoded.wav");
    assertThat(
            run(concat(new String[] {"codec", "decode"}, mimi(codes.toString(), out.toString()))))
        .isZero();
    assertThat(
            run(
                concat(
                    new String[] {"codec", "decode", "--streaming"},
                    mimi(codes.toString(), streamOut.toString()))))
        .isZero();
    WavAudio a = WavReader.read(out);
    assertThat(a.sampleRate()).isEqualTo(24000);
    assertThat(a.encoding()).isEqualTo(WavEncoding.FLOAT32);
    Golden.assertClose("decoded", a.samples(), io.floats("decoded"));
    Golden.assertClose(
        "stream_decoded", WavReader.read(streamOut).samples(), io.floats("stream_decoded"));
  }

  @Test
  void anotherSampleRateIsResampledFirst() throws Exception {
    Path wav48 = dir.resolve("in48.wav");
    float[] pcm = io.floats("pcm");
    float[] up = dev.parley.codec.resample.StreamingResampler.resample(pcm, 24000, 48000);
    WavWriter.writeMono(wav48, up, 48000, WavEncoding.FLOAT32);
    Path out = dir.resolve("codes48.safetensors");
    assertThat(
            run(concat(new String[] {"codec", "encode"}, mimi(wav48.toString(), out.toString()))))
        .isZero();
    try (SafeTensorsFile f = SafeTensorsFile.open(out)) {
      long[] codes = f.longs("codes");
      long[] ref = io.longs("codes");
      // Resampling twice is not lossless, but the semantic codebook of clear speech mostly
      // survives.
      int same = 0;
      for (int t = 0; t < 30; t++) {
        same += codes[t] == ref[t] ? 1 : 0;
      }
      assertThat(codes).hasSize(ref.length);
      assertThat(same).isGreaterThanOrEqualTo(20);
    }
  }

  @Test
  void badInputGivesOneErrorLineAndExitCode2() throws Exception {
    Path notWav = dir.resolve("not.wav");
    java.nio.file.Files.writeString(notWav, "hello");
    StringWriter err = new StringWriter();
    CommandLine cli = ParleyMain.commandLine();
    cli.setErr(new PrintWriter(err));
    int code =
        cli.execute(
            concat(
                new String[] {"codec", "encode"},
                mimi(notWav.toString(), dir.resolve("x.safetensors").toString())));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).startsWith("error: ");
    StringWriter err2 = new StringWriter();
    CommandLine cli2 = ParleyMain.commandLine();
    cli2.setErr(new PrintWriter(err2));
    Path bad = dir.resolve("bad.safetensors");
    new dev.parley.codec.tensor.SafeTensorsWriter()
        .putLongs("codes", new long[] {1, 8, 1}, new long[] {0, 1, 2, 3, 4, 5, 6, 999})
        .write(bad);
    assertThat(
            cli2.execute(
                concat(
                    new String[] {"codec", "decode"},
                    mimi(bad.toString(), dir.resolve("y.wav").toString()))))
        .isEqualTo(2);
    assertThat(err2.toString()).contains("999");
  }

  static String[] concat(String[] a, String[] b) {
    String[] all = new String[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
