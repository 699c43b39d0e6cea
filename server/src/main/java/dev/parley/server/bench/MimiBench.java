package dev.parley.server.bench;

import ai.djl.ndarray.NDManager;
import dev.parley.codec.mimi.MimiConfig;
import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.mimi.MimiStreams;
import dev.parley.codec.nn.ExecMask;
import dev.parley.codec.torch.TorchRuntime;
import java.util.SplittableRandom;

/**
 * Streaming Mimi speed: one 80 ms frame per stream per call, as a live session feeds it, with
 * random weights (speed does not depend on the values) and a noise-like input.
 */
public final class MimiBench {
  private MimiBench() {}

  public record Result(
      int batch, int frames, int threads, String dtype, LatencyStats encode, LatencyStats decode) {
    public String line() {
      return String.format(
          java.util.Locale.ROOT,
          "bench=mimi batch=%d frames=%d threads=%d dtype=%s encode_p50_ms=%.2f encode_p99_ms=%.2f decode_p50_ms=%.2f "
              + "decode_p99_ms=%.2f",
          batch,
          frames,
          threads,
          dtype,
          encode.p50(),
          encode.p99(),
          decode.p50(),
          decode.p99());
    }
  }

  public static Result run(
      MimiConfig config, int batch, int frames, int warmup, int threads, boolean half) {
    TorchRuntime.setThreads(threads);
    try (NDManager weights = TorchRuntime.newManager()) {
      MimiModel mimi =
          MimiModel.random(
              config,
              weights,
              1234,
              half ? ai.djl.ndarray.types.DataType.FLOAT16 : ai.djl.ndarray.types.DataType.FLOAT32);
      int n = mimi.frameSize();
      SplittableRandom rnd = new SplittableRandom(7);
      float[][] pcm = new float[batch][n];
      long[] enc = new long[frames];
      long[] dec = new long[frames];
      try (MimiStreams streams = mimi.newStreams(weights, batch)) {
        ExecMask all = ExecMask.all(batch);
        for (int f = -warmup; f < frames; f++) {
          for (float[] p : pcm) {
            for (int i = 0; i < n; i++) {
              p[i] = (float) (0.1 * rnd.nextGaussian());
            }
          }
          long t0 = System.nanoTime();
          long[][] codes = mimi.encodeFrame(pcm, streams, all);
          long t1 = System.nanoTime();
          mimi.decodeFrame(codes, streams, all);
          long t2 = System.nanoTime();
          if (f >= 0) {
            enc[f] = t1 - t0;
            dec[f] = t2 - t1;
          }
        }
      }
      return new Result(
          batch,
          frames,
          threads,
          half ? "f16" : "f32",
          new LatencyStats(enc),
          new LatencyStats(dec));
    }
  }
}
