package dev.parley.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.tensor.SafeTensorsWriter;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavReader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code synthesize}: a TTS model directory laid out as Kyutai's (config.json, weights, Mimi,
 * tokenizer) and a voice folder load through the real loading code, and the WAV written holds the
 * reference's pcm of the golden script; the demo model speaks from standard input.
 */
class SynthesizeCliTest {
  @TempDir Path dir;

  @Test
  void aModelDirectoryWritesTheReferencePcm() throws Exception {
    Path model = dir.resolve("tts");
    Files.createDirectories(model);
    ObjectNode config =
        (ObjectNode) new ObjectMapper().readTree(Golden.path("tts_tiny.config.json").toFile());
    config.put("moshi_name", "dsm.safetensors");
    config.put("mimi_name", "mimi.safetensors");
    config.put("mimi_config_name", "mimi.json");
    config.put("tokenizer_name", "tok.model");
    Files.writeString(model.resolve("config.json"), config.toString());
    Files.copy(Golden.path("tts_tiny.safetensors"), model.resolve("dsm.safetensors"));
    Files.copy(Golden.path("mimi_tiny.safetensors"), model.resolve("mimi.safetensors"));
    Files.copy(Golden.path("mimi_tiny.config.json"), model.resolve("mimi.json"));
    Files.copy(Golden.path("tokenizer_tiny.model"), model.resolve("tok.model"));
    Path voices = dir.resolve("voices");
    Files.createDirectories(voices);
    float[] expected;
    try (SafeTensorsFile gen = Golden.open("tts_tiny.gen.safetensors")) {
      new SafeTensorsWriter()
          .putFloats("speaker_wavs", new long[] {1, 24, 6}, gen.floats("voice0_speaker_wavs"))
          .write(voices.resolve("voice0.tiny0001@1.safetensors"));
      expected = gen.floats("pcm");
    }
    String script =
        new ObjectMapper()
            .readTree(Golden.path("tts_tiny.gen.json").toFile())
            .get("script")
            .get(0)
            .asText();
    Path out = dir.resolve("out.wav");
    // The golden run is tts_pytorch.py's: greedy, one voice in one speaker slot, cfg condition 2.0.
    int code =
        ParleyMain.commandLine()
            .execute(
                "synthesize",
                "--model",
                model.toString(),
                "--voices",
                voices.toString(),
                "--voice",
                "voice0",
                "--temperature",
                "0",
                "--codebooks",
                "8",
                "--text",
                script,
                "-o",
                out.toString());
    assertThat(code).isZero();
    WavAudio wav = WavReader.read(out);
    assertThat(wav.sampleRate()).isEqualTo(24000);
    Golden.assertClose("pcm", wav.samples(), expected);
  }

  @Test
  void demoSpeaksStandardInputAndFailsClearlyOnAnUnknownVoice() throws Exception {
    Path out = dir.resolve("demo.wav");
    var in = System.in;
    try {
      System.setIn(new java.io.ByteArrayInputStream("first turn here\n\nsecond turn".getBytes()));
      assertThat(ParleyMain.commandLine().execute("synthesize", "-o", out.toString())).isZero();
    } finally {
      System.setIn(in);
    }
    WavAudio wav = WavReader.read(out);
    assertThat(wav.samples().length % 1920).isZero();
    assertThat(wav.samples().length).isPositive();
    var err = new java.io.StringWriter();
    var cmd = ParleyMain.commandLine();
    cmd.setErr(new java.io.PrintWriter(err));
    assertThat(cmd.execute("synthesize", "--voice", "nobody", "--text", "hi", "-o", out.toString()))
        .isNotZero();
    assertThat(err.toString()).contains("unknown voice 'nobody'").contains("demo-alto");
  }
}
