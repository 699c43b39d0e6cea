package dev.parley.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.tensor.SafeTensorsWriter;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavReader;
import dev.parley.codec.wav.WavWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lm forward}, {@code lm generate} and {@code infer} end to end. */
class LmCliTest {
  @TempDir Path dir;

  static int run(String... args) {
    return ParleyMain.commandLine().execute(args);
  }

  @Test
  void forwardWritesTheReferenceLogitsAndMasks() throws Exception {
    Path out = dir.resolve("fwd.safetensors");
    try (SafeTensorsFile ref = Golden.open("lm_tiny.forward.safetensors")) {
      Path in = dir.resolve("codes.safetensors");
      new SafeTensorsWriter()
          .putLongs("codes", new long[] {2, 9, 16}, ref.longs("codes"))
          .write(in);
      assertThat(
              run(
                  "lm",
                  "forward",
                  "--config",
                  Golden.path("lm_tiny.config.json").toString(),
                  "--weights",
                  Golden.path("lm_tiny.safetensors").toString(),
                  "--codes",
                  in.toString(),
                  out.toString()))
          .isZero();
      try (SafeTensorsFile f = SafeTensorsFile.open(out)) {
        assertThat(f.info("logits").shape()).containsExactly(2, 4, 16, 64);
        Golden.assertClose("logits", f.floats("logits"), ref.floats("logits"));
        Golden.assertClose("text_logits", f.floats("text_logits"), ref.floats("text_logits"));
        assertThat(f.longs("mask")).isEqualTo(ref.longs("mask"));
        assertThat(f.longs("text_mask")).isEqualTo(ref.longs("text_mask"));
      }
    }
  }

  @Test
  void greedyGenerateWritesTheReferenceTokens() throws Exception {
    Path out = dir.resolve("gen.safetensors");
    try (SafeTensorsFile ref = Golden.open("lm_tiny.gen.safetensors")) {
      Path in = dir.resolve("in.safetensors");
      new SafeTensorsWriter()
          .putLongs("input_codes", new long[] {1, 4, 40}, ref.longs("input_codes"))
          .write(in);
      assertThat(
              run(
                  "lm",
                  "generate",
                  "--config",
                  Golden.path("lm_tiny.config.json").toString(),
                  "--weights",
                  Golden.path("lm_tiny.safetensors").toString(),
                  "--input-codes",
                  in.toString(),
                  "--greedy",
                  out.toString()))
          .isZero();
      try (SafeTensorsFile f = SafeTensorsFile.open(out)) {
        assertThat(f.info("output_tokens").shape()).containsExactly(1, 5, 39);
        assertThat(f.longs("output_tokens")).isEqualTo(ref.longs("output_tokens"));
        assertThat(f.longs("output_step")).isEqualTo(ref.longs("output_step"));
      }
    }
  }

  @Test
  void sttGenerateWritesTokensAndExtraHeads() throws Exception {
    Path out = dir.resolve("stt.safetensors");
    try (SafeTensorsFile ref = Golden.open("stt_tiny.gen.safetensors")) {
      Path in = dir.resolve("in.safetensors");
      new SafeTensorsWriter()
          .putLongs("input_codes", new long[] {1, 8, 30}, ref.longs("input_codes"))
          .write(in);
      assertThat(
              run(
                  "lm",
                  "generate",
                  "--config",
                  Golden.path("stt_tiny.config.json").toString(),
                  "--weights",
                  Golden.path("stt_tiny.safetensors").toString(),
                  "--input-codes",
                  in.toString(),
                  "--greedy",
                  out.toString()))
          .isZero();
      try (SafeTensorsFile f = SafeTensorsFile.open(out)) {
        assertThat(f.longs("output_tokens")).isEqualTo(ref.longs("output_tokens"));
        assertThat(f.info("extra_heads").shape()).containsExactly(30, 2, 6);
        Golden.assertClose("extra_heads", f.floats("extra_heads"), ref.floats("extra_heads"));
      }
    }
  }

  @Test
  void inferOnTheDemoModelWritesOneFrameOfAudioPerInputFrame() throws Exception {
    float[] pcm = new float[16000 * 2]; // 2 s at 16 kHz: resampled to 48 000 samples = 25 frames
    for (int i = 0; i < pcm.length; i++) {
      pcm[i] = (float) (0.3 * Math.sin(2 * Math.PI * 220 * i / 16000.0));
    }
    Path in = dir.resolve("in.wav");
    WavWriter.writeMono(in, pcm, 16000, WavEncoding.PCM_S16);
    Path out = dir.resolve("out.wav");
    Path text = dir.resolve("out.txt");
    assertThat(
            run(
                "infer",
                "--model",
                "demo",
                "--seed",
                "7",
                "--text-out",
                text.toString(),
                in.toString(),
                out.toString()))
        .isZero();
    WavAudio a = WavReader.read(out);
    assertThat(a.sampleRate()).isEqualTo(24000);
    // 25 input frames, stepped 26 times (the first twice); the first step fills the delays → 25
    // frames out.
    assertThat(a.samples().length).isEqualTo(25 * 1920);
    assertThat(Files.exists(text)).isTrue();
    float peak = 0;
    for (float v : a.samples()) {
      assertThat(Float.isFinite(v)).isTrue();
      peak = Math.max(peak, Math.abs(v));
    }
    assertThat(peak).as("random weights still make sound").isPositive();
  }
}
