package dev.parley.server.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.parley.codec.mimi.MimiConfig;
import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.mimi.MimiStreams;
import dev.parley.codec.nn.ExecMask;
import dev.parley.codec.nn.Ops;
import dev.parley.codec.nn.ShapeRecorder;
import dev.parley.codec.torch.TorchRuntime;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Streaming Mimi speed: one 80 ms frame per stream per call, as a live session feeds it, with
 * random weights (speed does not depend on the values) and a noise-like input. Beside it, the
 * machine's weight-streaming floor measured in the same run: the bytes of weights one frame reads,
 * divided by the rate at which libtorch streams a matrix far larger than the caches through a
 * one-row product (measured after every frame, so that both see the same machine load).
 */
public final class MimiBench {
  private MimiBench() {}

  /** Rows × columns of the float32 matrix that measures the streaming rate: 128 MiB. */
  static final int PROBE_ROWS = 8192;

  static final int PROBE_COLUMNS = 4096;

  public record Result(
      int batch,
      int frames,
      int threads,
      String dtype,
      LatencyStats encode,
      LatencyStats decode,
      LatencyStats frame,
      LatencyStats frameCpu,
      long weightBytes,
      LatencyStats probe) {
    /** Bytes per second at which one-row products stream weights here (the probe's median). */
    public double bandwidth() {
      return 4.0 * PROBE_ROWS * PROBE_COLUMNS / (probe.p50() / 1e3);
    }

    /** Milliseconds one frame needs just to read its weights at {@link #bandwidth}. */
    public double floorMs() {
      return weightBytes / bandwidth() * 1e3;
    }

    public String line() {
      return String.format(
          java.util.Locale.ROOT,
          "bench=mimi batch=%d frames=%d threads=%d dtype=%s encode_p50_ms=%.2f encode_p99_ms=%.2f decode_p50_ms=%.2f "
              + "decode_p99_ms=%.2f frame_p50_ms=%.2f thread_cpu_p50_ms=%.2f weights_mb=%.1f bandwidth_gbps=%.2f floor_ms=%.2f"
              + " vs_floor=%.2f",
          batch,
          frames,
          threads,
          dtype,
          encode.p50(),
          encode.p99(),
          decode.p50(),
          decode.p99(),
          frame.p50(),
          frameCpu.p50(),
          weightBytes / 1e6,
          bandwidth() / 1e9,
          floorMs(),
          frame.p50() / floorMs());
    }
  }

  /**
   * Bytes of weights one streaming frame reads: every tensor of the model once (each layer runs
   * once per call), except the codebooks that encoding does not search ({@code codebooks} levels
   * are searched: the semantic one and {@code codebooks - 1} of the rest; decoding looks up only
   * one row per level) and the codebook statistics, which are folded into the centroids at load.
   */
  public static long weightBytesPerFrame(MimiConfig config, int codebooks, int bytesPerValue) {
    try (NDManager m = TorchRuntime.newManager()) {
      ShapeRecorder recorder = new ShapeRecorder(m);
      new MimiModel(config, recorder, ai.djl.ndarray.types.DataType.FLOAT32);
      long values = 0;
      for (Map.Entry<String, long[]> e : recorder.shapes().entrySet()) {
        if (!e.getKey().contains("._codebook.") || searched(e.getKey(), codebooks)) {
          long n = 1;
          for (long d : e.getValue()) {
            n *= d;
          }
          values += n;
        }
      }
      return values * bytesPerValue;
    }
  }

  private static boolean searched(String name, int codebooks) {
    if (!name.endsWith("._codebook.embedding_sum")) {
      return false;
    }
    int level = Integer.parseInt(name.replaceAll(".*\\.vq\\.layers\\.([0-9]+)\\..*", "$1"));
    return name.startsWith("quantizer.rvq_first.") ? level < 1 : level < codebooks - 1;
  }

  /** Nanoseconds of one row times the probe matrix (its result freed at once). */
  // The scope is opened for what closing it does: it frees every array made inside.
  @SuppressWarnings("try")
  private static long streamProbe(NDArray row, NDArray matrix) {
    try (NDScope ignored = new NDScope()) {
      long t0 = System.nanoTime();
      Ops.linear(row, matrix).close();
      return System.nanoTime() - t0;
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
      long[] probe = new long[frames];
      // CPU time of the calling thread per frame: on a machine shared with other work, wall time
      // includes waiting for a core; this does not. With one libtorch thread it is all of the
      // frame's compute; with more it leaves out the other threads' share.
      long[] frameCpu = new long[frames];
      java.lang.management.ThreadMXBean cpu =
          java.lang.management.ManagementFactory.getThreadMXBean();
      // Random values: a zero-filled matrix may be backed by one shared page and stay in cache.
      NDArray probeMatrix =
          weights.randomUniform(-1, 1, new Shape(PROBE_ROWS, PROBE_COLUMNS), DataType.FLOAT32);
      NDArray probeRow =
          weights.randomUniform(-1, 1, new Shape(1, PROBE_COLUMNS), DataType.FLOAT32);
      try (MimiStreams streams = mimi.newStreams(weights, batch)) {
        ExecMask all = ExecMask.all(batch);
        for (int f = -warmup; f < frames; f++) {
          for (float[] p : pcm) {
            for (int i = 0; i < n; i++) {
              p[i] = (float) (0.1 * rnd.nextGaussian());
            }
          }
          long c0 = cpu.getCurrentThreadCpuTime();
          long t0 = System.nanoTime();
          long[][] codes = mimi.encodeFrame(pcm, streams, all);
          long t1 = System.nanoTime();
          mimi.decodeFrame(codes, streams, all);
          long t2 = System.nanoTime();
          long c2 = cpu.getCurrentThreadCpuTime();
          long t3 = streamProbe(probeRow, probeMatrix);
          if (f >= 0) {
            enc[f] = t1 - t0;
            dec[f] = t2 - t1;
            probe[f] = t3;
            frameCpu[f] = c2 - c0;
          }
        }
      }
      long[] frame = new long[frames];
      for (int f = 0; f < frames; f++) {
        frame[f] = enc[f] + dec[f];
      }
      return new Result(
          batch,
          frames,
          threads,
          half ? "f16" : "f32",
          new LatencyStats(enc),
          new LatencyStats(dec),
          new LatencyStats(frame),
          new LatencyStats(frameCpu),
          weightBytesPerFrame(config, config.numCodebooks(), half ? 2 : 4),
          new LatencyStats(probe));
    }
  }
}
