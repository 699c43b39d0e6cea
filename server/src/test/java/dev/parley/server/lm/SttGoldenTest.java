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

/** The tiny STT-mode LM (dep_q = 0, extra heads) against the reference. */
class SttGoldenTest {
  static NDManager manager;
  static LmModel lm;

  @BeforeAll
  static void load() throws IOException {
    manager = TorchRuntime.newManager();
    lm =
        LmModel.load(
            Golden.path("stt_tiny.safetensors"),
            LmConfig.fromJson(Golden.path("stt_tiny.config.json")),
            manager,
            DataType.FLOAT32);
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  @Test
  void forwardTextMatchesReference() throws IOException {
    try (SafeTensorsFile f = Golden.open("stt_tiny.forward.safetensors");
        NDManager scope = manager.newSubManager()) {
      LmOutput out = lm.forward(scope, f.longs("codes"), 1, 30);
      Golden.assertClose("transformer_out", out.transformerOut(), f.floats("transformer_out"));
      Golden.assertClose("text_logits", out.textLogits(), f.floats("text_logits"));
      assertThat(out.logits()).isEmpty();
    }
  }

  @Test
  void greedyTextAndExtraHeadsMatchReference() throws IOException {
    try (SafeTensorsFile f = Golden.open("stt_tiny.gen.safetensors");
        LmGen gen = new LmGen(lm, 1, manager)) {
      long[] input = f.longs("input_codes"); // [1, 8, 30]
      long[] expected = f.longs("output_tokens"); // [1, 1, 30]
      float[] heads = f.floats("extra_heads"); // [30, 2, 6]
      float[] textLogits = f.floats("text_logits");
      for (int s = 0; s < 30; s++) {
        long[] codes = new long[8];
        for (int k = 0; k < 8; k++) {
          codes[k] = input[k * 30 + s];
        }
        LmGen.Step step = gen.step(new long[][] {codes}, new boolean[] {true});
        assertThat(step.produced()[0]).isTrue();
        Golden.assertClose(
            "text_logits " + s,
            step.textLogits(),
            Arrays.copyOfRange(textLogits, s * 64, s * 64 + 64));
        assertThat(step.frame()[0]).as("step " + s).containsExactly(expected[s]);
        Golden.assertClose(
            "extra_heads " + s, step.extraHeads(), Arrays.copyOfRange(heads, s * 12, s * 12 + 12));
      }
    }
  }
}
