package dev.parley.server.cli;

import dev.parley.codec.mimi.MimiConfig;
import dev.parley.server.bench.LmBench;
import dev.parley.server.bench.MimiBench;
import dev.parley.server.lm.LmConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Speed measurements with random weights; the last line of each is a stable key=value record. */
@Command(name = "bench", description = "Measure codec and model speed (random weights).",
    subcommands = {BenchCommand.Mimi.class, BenchCommand.Lm.class})
public final class BenchCommand {

  @Command(name = "mimi", description = "Streaming Mimi encode/decode time per 80 ms frame.")
  static final class Mimi implements Callable<Integer> {
    @Option(names = "--mimi-config", description = "Mimi config JSON (default: Kyutai's released Mimi).")
    Path config;

    @Option(names = "--batch", defaultValue = "1", description = "Streams per call (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--frames", defaultValue = "200", description = "Measured frames (default ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--warmup", defaultValue = "20", description = "Unmeasured frames first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--threads", defaultValue = "2", description = "libtorch intra-op threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--codebooks", description = "Codebooks (default: the config's, 8 for Kyutai's Mimi).")
    Integer codebooks;

    @Option(names = "--half", description = "float16 weights and compute instead of float32.")
    boolean half;

    @Override
    public Integer call() throws Exception {
      MimiConfig c = config == null ? MimiConfig.kyutai() : MimiConfig.fromJson(config);
      if (codebooks != null) {
        c = c.withCodebooks(codebooks);
      }
      MimiBench.Result r = MimiBench.run(c, batch, frames, warmup, threads, half, System.err);
      System.out.println(r.line());
      return 0;
    }
  }

  @Command(name = "lm", description = "LMGen step time (random weights, default sampling).")
  static final class Lm implements Callable<Integer> {
    @Option(names = "--config", defaultValue = "tiny", description = "tiny, small, moshi7b or a config JSON (default ${DEFAULT-VALUE}).")
    String config;

    @Option(names = "--batch", defaultValue = "1", description = "Slots per step (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--steps", defaultValue = "100", description = "Measured steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "10", description = "Unmeasured steps first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--threads", defaultValue = "2", description = "libtorch intra-op threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Override
    public Integer call() throws Exception {
      LmConfig c = switch (config) {
        case "tiny" -> LmConfig.tiny();
        case "small" -> LmConfig.small();
        case "moshi7b" -> LmConfig.moshi7b();
        default -> LmConfig.fromJson(Path.of(config));
      };
      String name = config.endsWith(".json") ? Path.of(config).getFileName().toString() : config;
      System.out.println(LmBench.run(name, c, batch, steps, warmup, threads).line());
      return 0;
    }
  }
}
