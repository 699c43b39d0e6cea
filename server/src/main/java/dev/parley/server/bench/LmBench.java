package dev.parley.server.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.parley.codec.torch.TorchRuntime;
import dev.parley.server.lm.LmConfig;
import dev.parley.server.lm.LmGen;
import dev.parley.server.lm.LmModel;
import dev.parley.server.lm.SamplingParams;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * LMGen step time with random weights and the reference's default sampling, B slots per step. A
 * configuration with {@code dep_q} 0 (see {@link #sttMode}) is stepped as Kyutai STT steps: every
 * audio stream is input, greedy text, the extra heads computed, no depth transformer.
 */
public final class LmBench {
  /** Extra heads of Kyutai's STT models (pause predictors): 4 heads of 6 classes. */
  public static final int STT_EXTRA_HEADS = 4;

  public static final int STT_EXTRA_HEADS_DIM = 6;

  private LmBench() {}

  /**
   * {@code cfg} in transcription mode, as Kyutai's STT models are built: {@code dep_q} 0 (no depth
   * transformer: all {@code n_q} audio streams are input), all delays 0, and {@link
   * #STT_EXTRA_HEADS} extra heads of {@link #STT_EXTRA_HEADS_DIM} classes (unless the configuration
   * already has some). The temporal transformer is unchanged.
   */
  public static LmConfig sttMode(LmConfig cfg) {
    boolean heads = cfg.extraHeadsNumHeads() > 0;
    return new LmConfig(
        new int[cfg.nQ() + 1],
        cfg.nQ(),
        0,
        cfg.card(),
        cfg.textCard(),
        cfg.textCardOut(),
        cfg.demuxSecondTextStream(),
        cfg.dim(),
        cfg.existingTextPaddingId(),
        cfg.existingTextEndPaddingId(),
        heads ? cfg.extraHeadsNumHeads() : STT_EXTRA_HEADS,
        heads ? cfg.extraHeadsDim() : STT_EXTRA_HEADS_DIM,
        cfg.transformer(),
        cfg.depformerDim(),
        cfg.depformerMultiLinear(),
        false,
        null,
        cfg.depformerLowRankEmbeddings(),
        cfg.depformerNorm(),
        null);
  }

  public record Result(
      String config, int batch, int steps, int threads, int headStart, LatencyStats step) {
    public String line() {
      return String.format(
          java.util.Locale.ROOT,
          "bench=lm config=%s batch=%d steps=%d threads=%d%s step_p50_ms=%.2f step_p99_ms=%.2f",
          config,
          batch,
          steps,
          threads,
          headStart > 0 ? " head_start=" + headStart : "",
          step.p50(),
          step.p99());
    }
  }

  public static Result run(
      String name, LmConfig cfg, int batch, int steps, int warmup, int threads) {
    return run(name, cfg, batch, steps, warmup, threads, DataType.FLOAT32, 0);
  }

  /**
   * As above, with the weights and compute in {@code dtype} (float16 on a GPU, as --half); slot 0
   * first steps {@code headStart} steps alone, so the measured steps join one long-lived session
   * with fresh ones (their attention reads differ by that many keys).
   */
  public static Result run(
      String name,
      LmConfig cfg,
      int batch,
      int steps,
      int warmup,
      int threads,
      DataType dtype,
      int headStart) {
    TorchRuntime.setThreads(threads);
    try (NDManager m = TorchRuntime.newManager()) {
      LmModel lm = LmModel.random(cfg, m, 99, dtype);
      SplittableRandom rnd = new SplittableRandom(3);
      long[] times = new long[steps];
      boolean[] active = new boolean[batch];
      Arrays.fill(active, true);
      try (LmGen gen = new LmGen(lm, batch, m)) {
        for (int b = 0; b < batch; b++) {
          // Transcription decodes text greedily (the reference STT driver); dialogue samples.
          gen.configure(
              b,
              cfg.depQ() == 0 ? SamplingParams.GREEDY : SamplingParams.DEFAULT_TEXT,
              SamplingParams.DEFAULT_AUDIO,
              b);
        }
        long[][] in = new long[batch][cfg.inputStreams()];
        boolean[] first = new boolean[batch];
        first[0] = true;
        for (int s = 0; s < headStart; s++) {
          gen.step(in, first);
        }
        for (int s = -warmup; s < steps; s++) {
          for (long[] row : in) {
            for (int k = 0; k < row.length; k++) {
              row[k] = rnd.nextInt(cfg.card());
            }
          }
          long t0 = System.nanoTime();
          gen.step(in, active);
          long t1 = System.nanoTime();
          if (s >= 0) {
            times[s] = t1 - t0;
          }
        }
      }
      return new Result(name, batch, steps, threads, headStart, new LatencyStats(times));
    }
  }
}
