package dev.parley.codec.bench;

import dev.parley.codec.resample.StreamingResampler;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One operation = 10 s of audio at the source rate, resampled in 80 ms chunks as a live stream is.
 * × real time per core = 10 000 ms / score (run with -t 1).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ResampleBenchmark {
  @Param({"48000:24000", "24000:48000", "44100:24000", "16000:24000", "8000:24000"})
  String conversion;

  int from;
  int to;
  float[] input;

  @Setup
  public void setup() {
    String[] parts = conversion.split(":");
    from = Integer.parseInt(parts[0]);
    to = Integer.parseInt(parts[1]);
    input = BenchSignals.voice(from, from * OpusBenchmark.SECONDS);
  }

  @Benchmark
  public int streaming() {
    StreamingResampler r = new StreamingResampler(from, to);
    int chunk = from * 80 / 1000;
    int produced = 0;
    for (int i = 0; i < input.length; i += chunk) {
      produced += r.process(input, i, Math.min(chunk, input.length - i)).length;
    }
    return produced + r.finish().length;
  }
}
