package dev.parley.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.testing.Golden;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lm generate --prompt} on the PersonaPlex golden run, with and without the prompt. */
class PersonaPlexCliTest {
  @TempDir Path dir;

  /** {@code lm generate --greedy} of the golden LM on {@code inputCodes} (FILE:KEY), to extend. */
  static List<String> generateArgs(String inputCodes) {
    return new ArrayList<>(
        List.of(
            "lm",
            "generate",
            "--config",
            Golden.path("personaplex_tiny.config.json").toString(),
            "--weights",
            Golden.path("personaplex_tiny.safetensors").toString(),
            "--input-codes",
            inputCodes,
            "--greedy"));
  }

  private SafeTensorsFile generate(boolean prompted) throws Exception {
    Path gen = Golden.path("personaplex_tiny.gen.safetensors");
    Path out = dir.resolve(prompted ? "prompted.safetensors" : "plain.safetensors");
    List<String> args = generateArgs(gen + ":user_codes");
    if (prompted) {
      args.addAll(List.of("--prompt", gen.toString()));
    }
    args.add(out.toString());
    assertThat(ParleyMain.commandLine().execute(args.toArray(String[]::new))).isZero();
    return SafeTensorsFile.open(out);
  }

  @Test
  void promptedGenerationReproducesTheReference() throws Exception {
    check(generate(true), "");
  }

  @Test
  void withoutPromptItReproducesTheUnpromptedRun() throws Exception {
    check(generate(false), "noprompt_");
  }

  private static void check(SafeTensorsFile out, String prefix) throws Exception {
    try (out;
        SafeTensorsFile ref = Golden.open("personaplex_tiny.gen.safetensors")) {
      assertThat(out.info("conv_output_tokens").shape())
          .isEqualTo(ref.info(prefix + "conv_output_tokens").shape());
      assertThat(out.longs("conv_output_tokens"))
          .isEqualTo(ref.longs(prefix + "conv_output_tokens"));
      assertThat(out.longs("conv_output_frame")).isEqualTo(ref.longs(prefix + "conv_output_frame"));
      assertThat(out.longs("output_tokens")).isEqualTo(ref.longs(prefix + "output_tokens"));
      assertThat(out.longs("output_valid")).isEqualTo(ref.longs(prefix + "output_valid"));
      float[] logits = out.floats("text_logits");
      float[] expected = ref.floats(prefix + "text_logits");
      for (int i = 0; i < expected.length; i++) {
        assertThat(Float.isNaN(logits[i])).isEqualTo(Float.isNaN(expected[i]));
      }
      Golden.assertClose("text_logits", logits, expected);
    }
  }
}
