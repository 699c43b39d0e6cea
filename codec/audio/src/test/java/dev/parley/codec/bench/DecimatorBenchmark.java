package dev.parley.codec.bench;

import dev.parley.codec.audio.IntegerDecimator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One operation = 10 s of 48 kHz audio decimated to 24 kHz by the Kaiser FIR the Opus reader runs
 * after decoding, in 80 ms chunks. × real time per core = 10 000 ms / score (-t 1).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class DecimatorBenchmark {
  float[] input;

  @Setup
  public void setup() {
    input = BenchSignals.voice(48000, 48000 * OpusBenchmark.SECONDS);
  }

  @Benchmark
  public int by2() {
    IntegerDecimator d = new IntegerDecimator(2);
    int[] produced = {0};
    for (int i = 0; i < input.length; i += 3840) {
      d.process(input, i, Math.min(3840, input.length - i), (x, o, n) -> produced[0] += n);
    }
    return produced[0];
  }
}
