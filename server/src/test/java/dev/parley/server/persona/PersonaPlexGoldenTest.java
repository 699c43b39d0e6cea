package dev.parley.server.persona;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.parley.codec.nn.CheckpointParameters;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.torch.TorchRuntime;
import dev.parley.server.lm.LmConfig;
import dev.parley.server.persona.PersonaPlexGen.Given;
import dev.parley.server.text.TextTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tiny random-weight PersonaPlex LM against the fork's prompted and unprompted runs: every
 * prompt step's cache, provided mask and logits, then the conversation's tokens.
 */
class PersonaPlexGoldenTest {
  static final int STREAMS = 17;
  static NDManager manager;
  static LmConfig cfg;
  static PersonaPlexConfig pp;
  static PersonaPlexWeights.Loaded loaded;
  static SafeTensorsFile gen;

  @BeforeAll
  static void load() throws IOException {
    manager = TorchRuntime.newManager();
    cfg = LmConfig.fromJson(Golden.path("personaplex_tiny.config.json"));
    pp = PersonaPlexConfig.fromJson(Golden.path("personaplex_tiny.config.json"), cfg);
    loaded =
        PersonaPlexWeights.load(
            Golden.path("personaplex_tiny.safetensors"), cfg, manager, DataType.FLOAT32);
    gen = Golden.open("personaplex_tiny.gen.safetensors");
  }

  @AfterAll
  static void close() throws IOException {
    gen.close();
    manager.close();
  }

  @Test
  void configCarriesTheForkSettings() throws IOException {
    assertThat(pp.silenceTokens()).isEqualTo(gen.longs("silence_tokens"));
    assertThat(pp.sineTokens()).isEqualTo(gen.longs("sine_tokens"));
    assertThat(pp.cacheColumns()).isEqualTo(4);
    assertThat(pp.silenceFrames()).isEqualTo(6);
    assertThat(cfg.transformer().maskOldestKey()).isTrue();
    assertThat(cfg.depformer().maskOldestKey()).isTrue();
    assertThat(LmConfig.tiny().depformer().maskOldestKey()).isFalse();
    assertThat(loaded.expandedTensors()).as("a full 16-step checkpoint needs no copies").isZero();
  }

  @Test
  void textPromptIsWrappedAndTokenizedAsTheReference() throws IOException {
    TextTokenizer tok = TextTokenizer.load(Golden.path("tokenizer_tiny.model"));
    String wrapped = PromptSteps.wrapWithSystemTags("  You are a calm robot. ");
    assertThat(wrapped).isEqualTo("<system> You are a calm robot. <system>");
    assertThat(PromptSteps.wrapWithSystemTags(wrapped)).isEqualTo(wrapped);
    long[] ids = Arrays.stream(tok.encode(wrapped)).asLongStream().toArray();
    assertThat(ids).isEqualTo(gen.longs("text_prompt_ids"));
  }

  @Test
  void voiceLoudnessMatchesPyloudnorm() throws IOException {
    float[] raw = gen.floats("voice_pcm_raw");
    double lufs = VoiceLoudness.integratedLufs(raw, 24000);
    assertThat(lufs).isCloseTo(-21.36833328972107, org.assertj.core.data.Offset.offset(0.01));
    assertThat(lufs).isCloseTo(gen.floats("voice_loudness_lufs")[0], within(0.01));
    assertThat(VoiceLoudness.gain(lufs, -24.0))
        .isCloseTo(gen.floats("voice_gain")[0], within(1e-4 + 1e-3 * 0.74));
    float[] normalized = VoiceLoudness.normalize(raw, 24000, -24.0);
    assertThat(VoiceLoudness.integratedLufs(normalized, 24000)).isCloseTo(-24.0, within(0.01));
  }

  private static org.assertj.core.data.Offset<Double> within(double d) {
    return org.assertj.core.data.Offset.offset(d);
  }

  @Test
  void promptedRunMatchesEveryStep() throws IOException {
    long[] voice = gen.longs("voice_codes"); // [1, 8, Nv]
    int nv = voice.length / 8;
    List<long[]> frames = new ArrayList<>();
    for (int i = 0; i < nv; i++) {
      long[] f = new long[8];
      for (int q = 0; q < 8; q++) {
        f[q] = voice[q * nv + i];
      }
      frames.add(f);
    }
    List<Given> prompt = PromptSteps.of(pp, frames, gen.longs("text_prompt_ids"));
    assertThat(prompt).hasSize((int) gen.longs("num_prompt_steps")[0]);
    replay("", prompt);
  }

  @Test
  void unpromptedRunMatchesEveryStep() throws IOException {
    replay("noprompt_", List.of());
  }

  /** Runs the prompt then the user codes, checking each step against the {@code prefix} arrays. */
  private void replay(String prefix, List<Given> prompt) throws IOException {
    long[] user = gen.longs("user_codes"); // [1, 8, T]
    int frames = user.length / 8;
    List<Given> all = new ArrayList<>(prompt);
    for (int t = 0; t < frames; t++) {
      long[] codes = new long[8];
      for (int q = 0; q < 8; q++) {
        codes[q] = user[q * frames + t];
      }
      all.add(Given.user(codes));
    }
    long[] args = gen.longs(prefix + "step_args");
    long[] argsGiven = gen.longs(prefix + "step_args_given");
    long[] ran = gen.longs(prefix + "model_ran");
    long[] modelInput = gen.longs(prefix + "model_input");
    long[] targetProvided = gen.longs(prefix + "target_provided");
    long[] result = gen.longs(prefix + "step_result");
    long[] depIn = gen.longs(prefix + "depformer_input_tokens");
    long[] cacheAfter = gen.longs(prefix + "cache_after");
    long[] providedAfter = gen.longs(prefix + "provided_after");
    long[] offsetAfter = gen.longs(prefix + "offset_after");
    long[] outputs = gen.longs(prefix + "output_tokens");
    long[] valid = gen.longs(prefix + "output_valid");
    float[] textLogits = gen.floats(prefix + "text_logits");
    float[] audioLogits = gen.floats(prefix + "audio_logits");
    int steps = ran.length;
    assertThat(all).hasSize(steps);
    int ct = pp.cacheColumns();
    int card = cfg.card();
    List<long[]> conversation = new ArrayList<>();
    try (PersonaPlexGen g = new PersonaPlexGen(loaded.model(), pp, 1, manager)) {
      for (int s = 0; s < steps; s++) {
        Given given = all.get(s);
        assertThat(asArgs(given))
            .as("step %d arguments", s)
            .isEqualTo(masked(args, argsGiven, s * STREAMS, STREAMS));
        PersonaPlexGen.Step r = g.step(new Given[] {given});
        String at = prefix + "step " + s;
        assertThat(r.ran()[0]).as(at + " ran").isEqualTo(ran[s] == 1);
        assertThat(g.offset(0)).as(at + " offset").isEqualTo(offsetAfter[s]);
        long[][] cache = g.cache(0);
        boolean[][] provided = g.provided(0);
        for (int k = 0; k < STREAMS; k++) {
          for (int c = 0; c < ct; c++) {
            int o = (s * STREAMS + k) * ct + c;
            assertThat(provided[k][c] ? 1L : 0L)
                .as(at + " provided[" + k + "][" + c + "]")
                .isEqualTo(providedAfter[o]);
            // Columns not yet written since the reset hold the reference's stale values.
            if (cache[k][c] != PersonaPlexGen.UNGENERATED || s >= ct) {
              assertThat(cache[k][c])
                  .as(at + " cache[" + k + "][" + c + "]")
                  .isEqualTo(cacheAfter[o]);
            }
          }
        }
        if (!r.ran()[0]) {
          continue;
        }
        assertThat(r.modelInput()[0])
            .as(at + " model input")
            .isEqualTo(Arrays.copyOfRange(modelInput, s * STREAMS, (s + 1) * STREAMS));
        long[] tp = new long[STREAMS];
        for (int k = 0; k < STREAMS; k++) {
          tp[k] = r.targetProvided()[0][k] ? 1 : 0;
        }
        assertThat(tp)
            .as(at + " target provided")
            .isEqualTo(Arrays.copyOfRange(targetProvided, s * STREAMS, (s + 1) * STREAMS));
        assertThat(r.depformerInput()[0])
            .as(at + " depformer input")
            .isEqualTo(Arrays.copyOfRange(depIn, s * 16, (s + 1) * 16));
        Golden.assertClose(
            at + " text logits",
            r.textLogits()[0],
            Arrays.copyOfRange(textLogits, s * 64, (s + 1) * 64));
        for (int c = 0; c < 16; c++) {
          int o = (s * 16 + c) * card;
          Golden.assertClose(
              at + " audio logits " + c,
              r.audioLogits()[0][c],
              Arrays.copyOfRange(audioLogits, o, o + card));
        }
        assertThat(r.result()[0])
            .as(at + " result")
            .isEqualTo(Arrays.copyOfRange(result, s * STREAMS, (s + 1) * STREAMS));
        assertThat(r.output()[0] != null).as(at + " output valid").isEqualTo(valid[s] == 1);
        if (r.output()[0] != null) {
          assertThat(r.output()[0])
              .as(at + " output")
              .isEqualTo(Arrays.copyOfRange(outputs, s * STREAMS, (s + 1) * STREAMS));
          if (s >= prompt.size()) {
            conversation.add(r.output()[0]);
          }
        }
      }
    }
    long[] conv = gen.longs(prefix + "conv_output_tokens"); // [1, 17, n]
    int n = conv.length / STREAMS;
    assertThat(conversation).hasSize(n);
    for (int j = 0; j < n; j++) {
      for (int k = 0; k < STREAMS; k++) {
        assertThat(conversation.get(j)[k])
            .as("conversation frame %d stream %d", j, k)
            .isEqualTo(conv[k * n + j]);
      }
    }
  }

  private static long[] asArgs(Given g) {
    long[] v = new long[STREAMS];
    if (g.text() != PersonaPlexGen.NO_TEXT) {
      v[0] = g.text();
    }
    if (g.agent() != null) {
      System.arraycopy(g.agent(), 0, v, 1, 8);
    }
    if (g.user() != null) {
      System.arraycopy(g.user(), 0, v, 9, 8);
    }
    return v;
  }

  private static long[] masked(long[] args, long[] given, int from, int n) {
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      v[i] = given[from + i] == 1 ? args[from + i] : 0;
    }
    return v;
  }

  @Test
  void withKyutaiRingPositionsTheLastDepformerStepDiffers() throws IOException {
    var json =
        (com.fasterxml.jackson.databind.node.ObjectNode)
            new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(Golden.path("personaplex_tiny.config.json").toFile());
    json.remove("personaplex");
    LmConfig kyutai = LmConfig.fromJson(json);
    assertThat(kyutai.depformer().maskOldestKey()).isFalse();
    float[] audioLogits = gen.floats("noprompt_audio_logits");
    long[] user = gen.longs("user_codes");
    int frames = user.length / 8;
    try (NDManager m = manager.newSubManager();
        PersonaPlexGen g =
            new PersonaPlexGen(
                PersonaPlexWeights.load(
                        Golden.path("personaplex_tiny.safetensors"), kyutai, m, DataType.FLOAT32)
                    .model(),
                pp,
                1,
                m)) {
      PersonaPlexGen.Step r = null;
      for (int s = 0; s < 2; s++) {
        long[] codes = new long[8];
        for (int q = 0; q < 8; q++) {
          codes[q] = user[q * frames + s];
        }
        r = g.step(new Given[] {Given.user(codes)});
      }
      int card = cfg.card();
      for (int c = 0; c < 15; c++) {
        int o = (16 + c) * card; // step 1 of the unprompted run
        Golden.assertClose(
            "depformer step " + c,
            r.audioLogits()[0][c],
            Arrays.copyOfRange(audioLogits, o, o + card));
      }
      // Step 15 attends to step 0's key under Kyutai's positions: the fork's model does not.
      float[] last = r.audioLogits()[0][15];
      float[] want = Arrays.copyOfRange(audioLogits, (16 + 15) * card, (16 + 16) * card);
      double err = 0;
      double peak = 0;
      for (int i = 0; i < card; i++) {
        err = Math.max(err, Math.abs(last[i] - want[i]));
        peak = Math.max(peak, Math.abs(want[i]));
      }
      assertThat(err).isGreaterThan(1e-4 + 1e-3 * peak);
    }
  }

  @Test
  void eightStepDepformerExpandsToTheMainWeights() throws IOException {
    try (NDManager m = manager.newSubManager();
        SafeTensorsFile full = Golden.open("personaplex_tiny.safetensors");
        SafeTensorsFile dep8 = Golden.open("personaplex_tiny.dep8.safetensors")) {
      assertThat(dep8.contains("linears.8.weight")).isFalse();
      PersonaPlexWeights.Loaded expanded =
          PersonaPlexWeights.load(
              Golden.path("personaplex_tiny.dep8.safetensors"), cfg, m, DataType.FLOAT32);
      assertThat(expanded.expandedTensors()).isEqualTo(59);
      // Record what the expansion handed the model, then compare with the full file's step N-8.
      CheckpointParameters fullParams =
          new CheckpointParameters(full, m, DataType.FLOAT32, Map.of());
      RecordingExpansion rec = new RecordingExpansion(dep8, m);
      new dev.parley.server.lm.LmModel(cfg, rec.params, DataType.FLOAT32);
      assertThat(rec.seen).hasSize(full.tensors().size());
      int compared = 0;
      for (Map.Entry<String, float[]> e : rec.seen.entrySet()) {
        String name = e.getKey();
        long[] shape = rec.shapes.get(name);
        float[] got = e.getValue();
        float[] want = fullParams.get(sourceInFull(name), shape).toFloatArray();
        if (name.contains("depformer") && name.contains("self_attn")) {
          // Steps 8..15 (second half of the rows) repeat steps 0..7 of the full file.
          int half = got.length / 2;
          assertThat(Arrays.copyOfRange(got, 0, half)).isEqualTo(Arrays.copyOfRange(want, 0, half));
          assertThat(Arrays.copyOfRange(got, half, got.length))
              .as(name)
              .isEqualTo(Arrays.copyOfRange(want, 0, half));
        } else {
          assertThat(got).as(name).isEqualTo(want);
        }
        compared++;
      }
      assertThat(compared).isEqualTo(151);
    }
  }

  /** Step N ≥ 8 of a per-step group comes from N − 8 of the full file. */
  private static String sourceInFull(String name) {
    java.util.regex.Matcher mt =
        java.util.regex.Pattern.compile("(gating|linears|depformer_in|depformer_emb)\\.(\\d+)\\.")
            .matcher(name);
    if (mt.find() && Integer.parseInt(mt.group(2)) >= 8) {
      return name.substring(0, mt.start())
          + mt.group(1)
          + "."
          + (Integer.parseInt(mt.group(2)) - 8)
          + "."
          + name.substring(mt.end());
    }
    return name;
  }

  /** The expansion over the dep8 file, remembering every tensor it returns. */
  static final class RecordingExpansion {
    // Copied when handed out: the model may fuse and free what it was given.
    final Map<String, float[]> seen = new java.util.TreeMap<>();
    final Map<String, long[]> shapes = new java.util.HashMap<>();
    final dev.parley.codec.nn.Parameters params;

    RecordingExpansion(SafeTensorsFile file, NDManager m) {
      DepformerExpansion inner =
          new DepformerExpansion(
              new CheckpointParameters(file, m, DataType.FLOAT32, Map.of()), file);
      params =
          new dev.parley.codec.nn.Parameters() {
            @Override
            public NDArray get(String name, long... shape) {
              NDArray a = inner.get(name, shape);
              seen.put(name, a.toFloatArray());
              shapes.put(name, shape);
              return a;
            }

            @Override
            public NDManager manager() {
              return m;
            }
          };
    }
  }
}
