package dev.parley.codec.bench;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.opus.OggOpusReader;
import dev.parley.codec.opus.OggOpusWriter;
import java.io.ByteArrayOutputStream;
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
 * One operation = 10 s of 24 kHz speech-like audio through the streaming Ogg Opus writer or reader,
 * fed in 80 ms (1920-sample) frames as the server does. × real time per core = 10 000 ms / score
 * (run with -t 1).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class OpusBenchmark {
  static final int SECONDS = 10;

  @Param({"20", "40"})
  int packetMs;

  @Param({"5"})
  int complexity;

  float[] pcm;
  byte[] stream;

  @Setup
  public void setup() {
    pcm = BenchSignals.voice(24000, 24000 * SECONDS);
    stream = encode();
  }

  @Benchmark
  public byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    OggOpusWriter.Options options =
        OggOpusWriter.Options.speech24k().withPacketMillis(packetMs).withComplexity(complexity);
    try (OggOpusWriter w = new OggOpusWriter(options, 1, out::writeBytes)) {
      for (int i = 0; i < pcm.length; i += 1920) {
        w.write(pcm, i, 1920);
      }
    }
    return out.toByteArray();
  }

  @Benchmark
  public long decode() throws AudioFormatException {
    long[] sum = {0};
    OggOpusReader r = new OggOpusReader(24000, (x, off, n) -> sum[0] += n);
    for (int i = 0; i < stream.length; i += 512) {
      r.feed(stream, i, Math.min(512, stream.length - i));
    }
    r.finish();
    return sum[0];
  }
}
