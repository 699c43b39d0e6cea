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

/** LMGen step time with random weights and the reference's default sampling, B slots per step. */
public final class LmBench {
  private LmBench() {}

  public record Result(String config, int batch, int steps, int threads, LatencyStats step) {
    public String line() {
      return String.format(java.util.Locale.ROOT,
          "bench=lm config=%s batch=%d steps=%d threads=%d step_p50_ms=%.2f step_p99_ms=%.2f", config, batch, steps,
          threads, step.p50(), step.p99());
    }
  }

  public static Result run(String name, LmConfig cfg, int batch, int steps, int warmup, int threads) {
    TorchRuntime.setThreads(threads);
    try (NDManager m = TorchRuntime.newManager()) {
      LmModel lm = LmModel.random(cfg, m, 99, DataType.FLOAT32);
      SplittableRandom rnd = new SplittableRandom(3);
      long[] times = new long[steps];
      boolean[] active = new boolean[batch];
      Arrays.fill(active, true);
      try (LmGen gen = new LmGen(lm, batch, m)) {
        for (int b = 0; b < batch; b++) {
          gen.configure(b, new SamplingParams(0.7, 25, 0), new SamplingParams(0.8, 250, 0), b);
        }
        long[][] in = new long[batch][cfg.inputStreams()];
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
      return new Result(name, batch, steps, threads, new LatencyStats(times));
    }
  }
}
