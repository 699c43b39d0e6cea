package dev.parley.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavWriter;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.stt.SttTestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code infer} on transcription models: the transcript in every format, the golden tokens. */
class InferSttCliTest {
  @TempDir Path dir;

  record Run(int code, String out) {}

  static Run run(String... args) {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true));
    try {
      return new Run(ParleyMain.commandLine().execute(args), out.toString());
    } finally {
      System.setOut(original);
    }
  }

  Path speech16k() throws Exception {
    return ExternalTools.speechWav(
        dir, "Hello there. The quick brown fox jumps over the lazy dog.", 16000);
  }

  @Test
  void demoSttWritesJsonSrtVttAndText() throws Exception {
    Path in = speech16k();
    Path json = dir.resolve("t.json");
    assertThat(
            run("infer", "--model", "demo-stt", in.toString(), "-o", json.toString(), "--tokens")
                .code())
        .isZero();
    JsonNode j = new ObjectMapper().readTree(json.toFile());
    assertThat(j.get("model").asText()).isEqualTo("demo-stt");
    assertThat(j.get("delay_s").asDouble()).isEqualTo(2.5);
    double audio = j.get("audio_s").asDouble();
    assertThat(audio).isGreaterThan(1.0);
    int frames = (int) Math.ceil(audio * 24000 / 1920 - 1e-9);
    assertThat(j.get("steps").asInt())
        .isEqualTo(13 + frames + 32); // prefix 1 s, delay 2.5 s at 12.5 Hz
    assertThat(j.get("text_tokens")).hasSize(j.get("steps").asInt());
    StringBuilder text = new StringBuilder();
    for (JsonNode w : j.get("words")) {
      assertThat(w.get("start_s").asDouble()).isBetween(0.0, w.get("end_s").asDouble());
      text.append(text.length() > 0 ? " " : "").append(w.get("text").asText());
    }
    assertThat(j.get("text").asText()).isEqualTo(text.toString());

    Path srt = dir.resolve("t.srt");
    assertThat(run("infer", "--model", "demo-stt", in.toString(), srt.toString()).code()).isZero();
    String s = Files.readString(srt);
    if (j.get("words").isEmpty()) {
      assertThat(s).isEmpty();
    } else {
      assertThat(s)
          .startsWith("1\n")
          .containsPattern("\\d\\d:\\d\\d:\\d\\d,\\d\\d\\d --> \\d\\d:\\d\\d:\\d\\d,\\d\\d\\d\n");
    }
    Run vtt = run("infer", "--model", "demo-stt", "--format", "vtt", in.toString());
    assertThat(vtt.code()).isZero();
    assertThat(vtt.out()).startsWith("WEBVTT\n\n");
    Run txt = run("infer", "--model", "demo-stt", in.toString());
    assertThat(txt.code()).isZero();
    assertThat(txt.out().strip()).isEqualTo(j.get("text").asText());
  }

  @Test
  void theGoldenSttModelGivesTheReferenceTokens() throws Exception {
    String modelDir;
    try (SpeechModel m = SttTestModels.goldenModel(dir)) {
      modelDir = m.name(); // the directory it was loaded from
    }
    Path in = dir.resolve("golden.wav");
    WavWriter.writeMono(in, SttTestModels.goldenPcm(), 24000, WavEncoding.FLOAT32);
    Run r = run("infer", "--model", modelDir, "--format", "json", "--tokens", in.toString());
    assertThat(r.code()).isZero();
    JsonNode j = new ObjectMapper().readTree(r.out());
    long[] tokens = new long[j.get("text_tokens").size()];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = j.get("text_tokens").get(i).asLong();
    }
    try (SafeTensorsFile f = Golden.open("stt_tiny.words.safetensors")) {
      assertThat(tokens).containsExactly(f.longs("text_tokens"));
    }
    assertThat(j.get("words")).isEmpty();
    assertThat(j.get("audio_s").asDouble()).isEqualTo(2.4);
  }

  @Test
  void dialogueModelsStillNeedAnOutputWavAndRefuseTranscriptOptions() throws Exception {
    Path in = dir.resolve("in.wav");
    WavWriter.writeMono(in, new float[4800], 24000, WavEncoding.PCM_S16);
    assertThat(run("infer", "--model", "demo", in.toString()).code()).isNotZero();
    assertThat(
            run(
                    "infer",
                    "--model",
                    "demo",
                    "--format",
                    "json",
                    in.toString(),
                    dir.resolve("o.wav").toString())
                .code())
        .isNotZero();
    assertThat(
            run("infer", "--model", "demo", in.toString(), "-o", dir.resolve("o.wav").toString())
                .code())
        .isZero();
    assertThat(Files.size(dir.resolve("o.wav"))).isGreaterThan(44);
    assertThat(run("infer", "--model", "demo-stt", "--format", "docx", in.toString()).code())
        .isNotZero();
  }
}
