package dev.parley.server.cli;

import dev.parley.codec.mimi.MimiConfig;
import dev.parley.server.bench.MimiBench;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Speed measurements with random weights; the last line of each is a stable key=value record. */
@Command(name = "bench", description = "Measure codec and model speed (random weights).",
    subcommands = {BenchCommand.Mimi.class})
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

    @Override
    public Integer call() throws Exception {
      MimiConfig c = config == null ? MimiConfig.kyutai() : MimiConfig.fromJson(config);
      if (codebooks != null) {
        c = c.withCodebooks(codebooks);
      }
      MimiBench.Result r = MimiBench.run(c, batch, frames, warmup, threads, System.err);
      System.out.println(r.line());
      return 0;
    }
  }
}
