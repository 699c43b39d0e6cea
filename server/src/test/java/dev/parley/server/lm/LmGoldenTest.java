package dev.parley.server.lm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.torch.TorchRuntime;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tiny random-weight Moshi-style LM against the reference's forward and LMGen outputs. */
class LmGoldenTest {
  static NDManager manager;
  static LmModel lm;

  @BeforeAll
  static void load() throws IOException {
    manager = TorchRuntime.newManager();
    lm =
        LmModel.load(
            Golden.path("lm_tiny.safetensors"),
            LmConfig.fromJson(Golden.path("lm_tiny.config.json")),
            manager,
            DataType.FLOAT32);
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  @Test
  void teacherForcedForwardMatchesReference() throws IOException {
    try (SafeTensorsFile f = Golden.open("lm_tiny.forward.safetensors");
        NDManager scope = manager.newSubManager()) {
      LmOutput out = lm.forward(scope, f.longs("codes"), 2, 16);
      Golden.assertClose("transformer_out", out.transformerOut(), f.floats("transformer_out"));
      Golden.assertClose("text_logits", out.textLogits(), f.floats("text_logits"));
      assertThat(asLongs(out.mask())).isEqualTo(f.longs("mask"));
      assertThat(asLongs(out.textMask())).isEqualTo(f.longs("text_mask"));
      float[] expected = f.floats("logits");
      assertThat(countNaN(expected)).as("masked positions exist").isPositive();
      Golden.assertClose("logits", out.logits(), expected);
      // NaN exactly where the reference has NaN.
      for (int i = 0; i < expected.length; i++) {
        assertThat(Float.isNaN(out.logits()[i])).isEqualTo(Float.isNaN(expected[i]));
      }
    }
  }

  @Test
  void greedyGenerationMatchesReferenceAtEveryStep() throws IOException {
    try (SafeTensorsFile f = Golden.open("lm_tiny.gen.safetensors");
        LmGen gen = new LmGen(lm, 1, manager)) {
      long[] input = f.longs("input_codes"); // [1, 4, 40]
      float[] textLogits = f.floats("text_logits"); // [40, 64]
      float[] audioLogits = f.floats("audio_logits"); // [40, 4, 64]
      long[] expectedText = f.longs("text_tokens");
      long[] expectedAudio = f.longs("audio_tokens");
      long[] expectedOut = f.longs("output_tokens"); // [1, 5, 39]
      long[] expectedStep = f.longs("output_step");
      int frames = 0;
      for (int s = 0; s < 40; s++) {
        long[] codes = new long[4];
        for (int k = 0; k < 4; k++) {
          codes[k] = input[k * 40 + s];
        }
        LmGen.Step step = gen.step(new long[][] {codes}, new boolean[] {true});
        Golden.assertClose(
            "text_logits step " + s,
            step.textLogits(),
            Arrays.copyOfRange(textLogits, s * 64, (s + 1) * 64));
        for (int k = 0; k < 4; k++) {
          Golden.assertClose(
              "audio_logits step " + s + " codebook " + k,
              step.audioLogits()[k],
              Arrays.copyOfRange(audioLogits, (s * 4 + k) * 64, (s * 4 + k + 1) * 64));
          assertThat(step.audioTokens()[0][k]).isEqualTo(expectedAudio[s * 4 + k]);
        }
        assertThat(step.textToken()[0]).as("text token at step " + s).isEqualTo(expectedText[s]);
        if (step.produced()[0]) {
          assertThat(expectedStep[frames]).isEqualTo(s);
          for (int k = 0; k < 5; k++) {
            assertThat(step.frame()[0][k])
                .as("frame %d stream %d", frames, k)
                .isEqualTo(expectedOut[k * 39 + frames]);
          }
          frames++;
        } else {
          assertThat(step.frame()[0]).containsOnly(LmGen.UNGENERATED);
        }
      }
      assertThat(frames).isEqualTo(39);
    }
  }

  static long[] asLongs(boolean[] b) {
    long[] out = new long[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = b[i] ? 1 : 0;
    }
    return out;
  }

  static int countNaN(float[] v) {
    int n = 0;
    for (float x : v) {
      n += Float.isNaN(x) ? 1 : 0;
    }
    return n;
  }
}
