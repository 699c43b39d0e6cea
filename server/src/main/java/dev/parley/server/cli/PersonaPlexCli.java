package dev.parley.server.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.tensor.SafeTensorsWriter;
import dev.parley.server.lm.LmConfig;
import dev.parley.server.persona.PersonaPlexConfig;
import dev.parley.server.persona.PersonaPlexGen;
import dev.parley.server.persona.PersonaPlexGen.Given;
import dev.parley.server.persona.PersonaPlexWeights;
import dev.parley.server.persona.PromptSteps;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** {@code lm generate} for a PersonaPlex checkpoint: prompt steps, then one step per user frame. */
final class PersonaPlexCli {
  private static final int AUDIO = PersonaPlexConfig.AUDIO_TOKENS_PER_STREAM;

  private PersonaPlexCli() {}

  static boolean isPersonaPlex(Path config) throws IOException {
    return PersonaPlexConfig.isPersonaPlex(new ObjectMapper().readTree(config.toFile()));
  }

  static int generate(
      LmCommand.ModelOptions model,
      LmCommand.Sampling sampling,
      TensorRef input,
      Path promptFile,
      Path out)
      throws IOException {
    JsonNode json = new ObjectMapper().readTree(model.config.toFile());
    LmConfig cfg = LmConfig.fromJson(json);
    PersonaPlexConfig pp = PersonaPlexConfig.fromJson(json, cfg);
    List<Given> steps = new ArrayList<>();
    if (promptFile != null) {
      try (SafeTensorsFile p = SafeTensorsFile.open(promptFile)) {
        pp = withPromptTokens(pp, p);
        List<long[]> voice = p.contains("voice_codes") ? frames(p, "voice_codes") : List.of();
        long[] text = p.contains("text_prompt_ids") ? p.longs("text_prompt_ids") : new long[0];
        steps.addAll(PromptSteps.of(pp, voice, text));
      }
    }
    int promptSteps = steps.size();
    try (SafeTensorsFile in = SafeTensorsFile.open(input.file())) {
      for (long[] f : frames(in, input.key())) {
        steps.add(Given.user(f));
      }
    }
    int total = steps.size();
    int kk = cfg.numCodebooks();
    long[] outputs = new long[total * kk];
    Arrays.fill(outputs, -1);
    long[] valid = new long[total];
    float[] textLogits = new float[total * cfg.textCardOut()];
    Arrays.fill(textLogits, Float.NaN);
    List<long[]> conversation = new ArrayList<>();
    List<Long> conversationFrame = new ArrayList<>();
    try (NDManager m = model.device.manager()) {
      DataType type = model.half ? DataType.FLOAT16 : DataType.FLOAT32;
      PersonaPlexWeights.Loaded lm = PersonaPlexWeights.load(model.weights, cfg, m, type);
      try (PersonaPlexGen gen = new PersonaPlexGen(lm.model(), pp, 1, m)) {
        gen.configure(0, sampling.text(), sampling.audio(), sampling.seed);
        for (int s = 0; s < total; s++) {
          PersonaPlexGen.Step r = gen.step(new Given[] {steps.get(s)});
          if (r.ran()[0]) {
            System.arraycopy(
                r.textLogits()[0], 0, textLogits, s * cfg.textCardOut(), cfg.textCardOut());
          }
          long[] o = r.output()[0];
          if (o != null) {
            System.arraycopy(o, 0, outputs, s * kk, kk);
            valid[s] = 1;
            if (s >= promptSteps) {
              conversation.add(o);
              conversationFrame.add((long) (s - promptSteps));
            }
          }
        }
      }
    }
    int n = conversation.size();
    long[] conv = new long[kk * n];
    for (int j = 0; j < n; j++) {
      for (int k = 0; k < kk; k++) {
        conv[k * n + j] = conversation.get(j)[k];
      }
    }
    new SafeTensorsWriter()
        .putLongs("conv_output_tokens", new long[] {1, kk, n}, conv)
        .putLongs(
            "conv_output_frame",
            new long[] {n},
            conversationFrame.stream().mapToLong(Long::longValue).toArray())
        .putLongs("output_tokens", new long[] {total, kk}, outputs)
        .putLongs("output_valid", new long[] {total}, valid)
        .putFloats("text_logits", new long[] {total, cfg.textCardOut()}, textLogits)
        .putLongs("num_prompt_steps", new long[] {1}, new long[] {promptSteps})
        .write(out);
    System.err.printf(
        "%d prompt steps + %d user frames -> %d frames -> %s%n",
        promptSteps, total - promptSteps, n, out);
    return 0;
  }

  /** The prompt file's own SILENCE / SINE codes win over the config's. */
  private static PersonaPlexConfig withPromptTokens(PersonaPlexConfig pp, SafeTensorsFile p)
      throws IOException {
    long[] silence = p.contains("silence_tokens") ? p.longs("silence_tokens") : pp.silenceTokens();
    long[] sine = p.contains("sine_tokens") ? p.longs("sine_tokens") : pp.sineTokens();
    return new PersonaPlexConfig(
        silence,
        sine,
        pp.zeroTextCode(),
        pp.silenceFrames(),
        pp.targetLufs(),
        pp.sampleRate(),
        pp.frameSize(),
        pp.cacheColumns());
  }

  /** An I64 [1, 8, T] tensor as T frames of 8 codes. */
  private static List<long[]> frames(SafeTensorsFile f, String key) throws IOException {
    long[] shape = f.info(key).shape();
    if (shape.length != 3 || shape[0] != 1 || shape[1] != AUDIO) {
      throw new IllegalArgumentException(
          "'" + key + "' must be [1, " + AUDIO + ", T], got " + Arrays.toString(shape));
    }
    long[] codes = f.longs(key);
    int t = (int) shape[2];
    List<long[]> frames = new ArrayList<>();
    for (int i = 0; i < t; i++) {
      long[] frame = new long[AUDIO];
      for (int q = 0; q < AUDIO; q++) {
        frame[q] = codes[q * t + i];
      }
      frames.add(frame);
    }
    return frames;
  }
}
