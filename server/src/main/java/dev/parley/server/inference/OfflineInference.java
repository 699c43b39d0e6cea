package dev.parley.server.inference;

import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.mimi.MimiStreams;
import dev.parley.codec.nn.ExecMask;
import dev.parley.server.dialogue.DialogueEngine;
import dev.parley.server.dialogue.DialogueOptions;
import dev.parley.server.lm.LmConfig;
import dev.parley.server.lm.LmGen;
import dev.parley.server.lm.SamplingParams;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.text.TextTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * A whole file through the model, as Kyutai's {@code run_inference.py} does it: 1920-sample chunks
 * → streaming Mimi encode → LM step (the first chunk is stepped twice, so that the step that only
 * fills the delays consumes it) → streaming Mimi decode of every produced frame. A transcription
 * model ({@code dep_q} 0) goes through {@link OfflineTranscription} instead (the reference STT
 * driver's prefix, flush and greedy text), and only text comes out. A PersonaPlex model goes
 * through {@link OfflineDialogue}: only the engine's PersonaPlex step feeds the user's audio to its
 * streams 9..16 (here it would be dropped, as the 16 depformer steps predict every audio stream).
 */
public final class OfflineInference {
  private OfflineInference() {}

  /** Output audio (empty for text-only models), the printed text and every text token. */
  public record Result(float[] pcm, String text, List<Long> textTokens, int steps) {}

  public static Result run(
      SpeechModel model, float[] pcm24k, SamplingParams text, SamplingParams audio, long seed) {
    MimiModel mimi = model.mimi();
    LmConfig cfg = model.lm().config();
    if (cfg.depQ() == 0) {
      OfflineTranscription.Result r = OfflineTranscription.run(model, pcm24k);
      List<Long> t = new ArrayList<>();
      for (long v : r.textTokens()) {
        t.add(v);
      }
      return new Result(new float[0], r.text(), t, r.steps());
    }
    if (model.personaPlex().isPresent()) {
      return personaPlex(model, pcm24k, new DialogueOptions(text, audio, seed));
    }
    TextTokenizer tok = model.tokenizer();
    int n = mimi.frameSize();
    float[] input = pcm24k;
    int chunks = input.length / n; // a trailing partial chunk is dropped, as the reference does
    StringBuilder printed = new StringBuilder();
    List<Long> tokens = new ArrayList<>();
    float[] out = new float[cfg.depQ() > 0 ? chunks * n : 0];
    int outFrames = 0;
    int steps = 0;
    ExecMask one = ExecMask.all(1);
    boolean[] active = {true};
    try (MimiStreams codec = mimi.newStreams(model.manager(), 1);
        LmGen gen = new LmGen(model.lm(), 1, model.manager())) {
      gen.configure(0, text, audio, seed);
      for (int c = 0; c < chunks; c++) {
        float[] chunk = new float[n];
        System.arraycopy(input, c * n, chunk, 0, n);
        long[] codes = mimi.encodeFrame(new float[][] {chunk}, codec, one)[0];
        if (c == 0) {
          gen.step(new long[][] {codes}, active);
          steps++;
        }
        LmGen.Step step = gen.step(new long[][] {codes}, active);
        steps++;
        if (!step.produced()[0]) {
          continue;
        }
        long[] frame = step.frame()[0];
        long textToken = frame[0];
        tokens.add(textToken);
        if (tok.isPrintedInDialogue((int) textToken) && textToken < tok.vocabSize()) {
          printed.append(tok.textOf((int) textToken));
        }
        if (cfg.depQ() > 0) {
          long[] audioCodes = java.util.Arrays.copyOfRange(frame, 1, 1 + mimi.numCodebooks());
          float[] pcm = mimi.decodeFrame(new long[][] {audioCodes}, codec, one)[0];
          System.arraycopy(pcm, 0, out, outFrames * n, n);
          outFrames++;
        }
      }
    }
    float[] pcm = java.util.Arrays.copyOf(out, outFrames * n);
    return new Result(pcm, printed.toString(), tokens, steps);
  }

  private static Result personaPlex(SpeechModel model, float[] pcm24k, DialogueOptions options) {
    try (DialogueEngine engine = OfflineDialogue.engine(model)) {
      return OfflineDialogue.run(engine, options, pcm24k);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
