package dev.parley.server.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.tensor.SafeTensorsWriter;
import dev.parley.server.lm.LmConfig;
import dev.parley.server.lm.LmGen;
import dev.parley.server.lm.LmModel;
import dev.parley.server.lm.LmOutput;
import dev.parley.server.lm.SamplingParams;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The LM over tensor files: the reference's teacher-forced forward and streaming generation. */
@Command(
    mixinStandardHelpOptions = true,
    name = "lm",
    description = "Run the speech-text LM on code tensors.",
    subcommands = {LmCommand.Forward.class, LmCommand.Generate.class})
public final class LmCommand {

  static final class ModelOptions {
    @Option(
        names = "--config",
        required = true,
        description = "LM config JSON (Kyutai config.json keys).")
    Path config;

    @Option(
        names = "--weights",
        required = true,
        description = "LM weights (.safetensors; F32, F16 or BF16).")
    Path weights;

    @Option(names = "--half", description = "Compute in float16 instead of float32.")
    boolean half;

    @Mixin DeviceOptions device;

    LmModel load(NDManager m) throws IOException {
      return LmModel.load(
          weights, LmConfig.fromJson(config), m, half ? DataType.FLOAT16 : DataType.FLOAT32);
    }
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "forward",
      description = "Teacher-forced forward: I64 codes [B, 1+n_q, T] → logits and masks.")
  static final class Forward implements Callable<Integer> {
    @Mixin ModelOptions model;

    @Option(
        names = "--codes",
        required = true,
        description = "input .safetensors with I64 'codes' [B, 1+n_q, T]")
    Path codes;

    @Parameters(index = "0", description = "output .safetensors")
    Path out;

    @Override
    public Integer call() throws IOException {
      try (NDManager m = model.device.manager();
          SafeTensorsFile in = SafeTensorsFile.open(codes)) {
        LmModel lm = model.load(m);
        long[] shape = in.info("codes").shape();
        int kk = lm.config().numCodebooks();
        if (shape.length != 3 || shape[1] != kk) {
          throw new IllegalArgumentException(
              "'codes' must be [B, " + kk + ", T], got " + Arrays.toString(shape));
        }
        int b = (int) shape[0];
        int t = (int) shape[2];
        LmOutput o = lm.forward(m, in.longs("codes"), b, t);
        int depQ = lm.config().depQ();
        new SafeTensorsWriter()
            .putFloats("logits", new long[] {b, depQ, t, lm.config().card()}, o.logits())
            .putFloats(
                "text_logits", new long[] {b, 1, t, lm.config().textCardOut()}, o.textLogits())
            .putLongs("mask", new long[] {b, depQ, t}, ones(o.mask()))
            .putLongs("text_mask", new long[] {b, 1, t}, ones(o.textMask()))
            .write(out);
        System.err.printf("forward over [%d, %d, %d] -> %s%n", b, kk, t, out);
      }
      return 0;
    }

    private static long[] ones(boolean[] b) {
      long[] v = new long[b.length];
      for (int i = 0; i < b.length; i++) {
        v[i] = b[i] ? 1 : 0;
      }
      return v;
    }
  }

  /** Greedy, or sampled with the reference's LMGen defaults. */
  static final class Sampling {
    @Option(names = "--greedy", description = "Argmax decoding (temperature 0).")
    boolean greedy;

    @Option(
        names = "--temp",
        defaultValue = "0.8",
        description = "Audio temperature (default ${DEFAULT-VALUE}).")
    double temp;

    @Option(
        names = "--temp-text",
        defaultValue = "0.7",
        description = "Text temperature (default ${DEFAULT-VALUE}).")
    double tempText;

    @Option(
        names = "--top-k",
        defaultValue = "250",
        description = "Audio top-k (default ${DEFAULT-VALUE}).")
    int topK;

    @Option(
        names = "--top-k-text",
        defaultValue = "25",
        description = "Text top-k (default ${DEFAULT-VALUE}).")
    int topKText;

    @Option(
        names = "--seed",
        defaultValue = "0",
        description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    SamplingParams text() {
      return greedy ? SamplingParams.GREEDY : new SamplingParams(tempText, topKText, 0);
    }

    SamplingParams audio() {
      return greedy ? SamplingParams.GREEDY : new SamplingParams(temp, topK, 0);
    }
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "generate",
      description = "Streaming generation, one step per input column (LMGen).")
  static final class Generate implements Callable<Integer> {
    @Mixin ModelOptions model;

    @ArgGroup(exclusive = false)
    Sampling sampling = new Sampling();

    @Option(
        names = "--input-codes",
        required = true,
        description =
            "input .safetensors with I64 codes [1, n_q - dep_q, S]; FILE:KEY names the tensor"
                + " (default key 'input_codes')")
    String inputCodes;

    @Option(
        names = "--prompt",
        description =
            "PersonaPlex only: .safetensors with the prompt inputs 'voice_codes' [1, 8, N],"
                + " 'text_prompt_ids' [N] (either may be absent) and optionally"
                + " 'silence_tokens' / 'sine_tokens' [8]")
    Path prompt;

    @Parameters(index = "0", description = "output .safetensors")
    Path out;

    @Override
    public Integer call() throws IOException {
      TensorRef ref = TensorRef.parse(inputCodes, "input_codes");
      Path input = ref.file();
      if (PersonaPlexCli.isPersonaPlex(model.config)) {
        return PersonaPlexCli.generate(model, sampling, ref, prompt, out);
      }
      if (prompt != null) {
        throw new IllegalArgumentException(
            "--prompt needs a PersonaPlex config (one with a 'personaplex' object)");
      }
      try (NDManager m = model.device.manager();
          SafeTensorsFile in = SafeTensorsFile.open(input)) {
        LmModel lm = model.load(m);
        LmConfig cfg = lm.config();
        long[] shape = in.info(ref.key()).shape();
        if (shape.length != 3 || shape[0] != 1 || shape[1] < cfg.inputStreams()) {
          throw new IllegalArgumentException(
              "'"
                  + ref.key()
                  + "' must be [1, "
                  + cfg.inputStreams()
                  + ", S], got "
                  + Arrays.toString(shape));
        }
        int streams = (int) shape[1];
        int steps = (int) shape[2];
        long[] codes = in.longs(ref.key());
        List<long[]> frames = new ArrayList<>();
        List<Long> frameSteps = new ArrayList<>();
        List<float[]> heads = new ArrayList<>();
        try (LmGen gen = new LmGen(lm, 1, m)) {
          gen.configure(0, sampling.text(), sampling.audio(), sampling.seed);
          for (int s = 0; s < steps; s++) {
            long[] step = new long[streams];
            for (int k = 0; k < streams; k++) {
              step[k] = codes[k * steps + s];
            }
            LmGen.Step r = gen.step(new long[][] {step}, new boolean[] {true});
            if (r.produced()[0]) {
              frames.add(r.frame()[0]);
              frameSteps.add((long) s);
              if (r.extraHeads() != null) {
                heads.add(r.extraHeads());
              }
            }
          }
        }
        int rows = cfg.depQ() + 1;
        int n = frames.size();
        long[] tokens = new long[rows * n];
        for (int j = 0; j < n; j++) {
          for (int k = 0; k < rows; k++) {
            tokens[k * n + j] = frames.get(j)[k];
          }
        }
        SafeTensorsWriter w =
            new SafeTensorsWriter()
                .putLongs("output_tokens", new long[] {1, rows, n}, tokens)
                .putLongs(
                    "output_step",
                    new long[] {n},
                    frameSteps.stream().mapToLong(Long::longValue).toArray());
        if (!heads.isEmpty()) {
          int per = cfg.extraHeadsNumHeads() * cfg.extraHeadsDim();
          float[] h = new float[n * per];
          for (int j = 0; j < n; j++) {
            System.arraycopy(heads.get(j), 0, h, j * per, per);
          }
          w.putFloats(
              "extra_heads", new long[] {n, cfg.extraHeadsNumHeads(), cfg.extraHeadsDim()}, h);
        }
        w.write(out);
        System.err.printf("%d steps -> %d frames -> %s%n", steps, n, out);
      }
      return 0;
    }
  }
}
