package dev.parley.server.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.parley.codec.torch.TorchRuntime;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Proves the offline libtorch engine loads and computes, and lists what this build contains. The
 * list is read from the jar's own command tree, so it cannot disagree with what the jar does.
 */
@Command(
    mixinStandardHelpOptions = true,
    name = "info",
    description = "Show what this build contains and check the offline PyTorch engine.")
public final class InfoCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  /** Runs the self-check for the tree under {@code root}; used when no subcommand is given. */
  static int selfCheck(CommandSpec root) {
    InfoCommand info = new InfoCommand();
    info.spec = root.subcommands().get("info").getCommandSpec();
    return info.call();
  }

  @Override
  public Integer call() {
    CommandLine root = spec.commandLine();
    while (root.getParent() != null) {
      root = root.getParent();
    }
    System.out.println(
        "Parley " + ParleyMain.version() + " on Java " + System.getProperty("java.version"));
    Engine engine = TorchRuntime.engine();
    float sum;
    try (NDManager m = TorchRuntime.newManager()) {
      sum = m.arange(1f, 5f).sum().getFloat(); // 1+2+3+4
    }
    System.out.printf(
        "PyTorch %s engine loaded offline on %s (self-check 1+2+3+4 = %.0f)%n",
        engine.getVersion(), TorchRuntime.name(engine.defaultDevice()), sum);
    System.out.println();
    System.out.println("Commands in this build:");
    for (Map.Entry<String, CommandLine> e : root.getSubcommands().entrySet()) {
      String name = e.getKey();
      if (name.equals("help") || name.equals("info")) {
        continue;
      }
      CommandLine cmd = e.getValue();
      System.out.printf("  %-11s %s%n", name, firstLine(cmd));
      if (!cmd.getSubcommands().isEmpty()) {
        System.out.printf(
            "  %-11s %s%n",
            "",
            cmd.getSubcommands().keySet().stream()
                .map(sub -> name + " " + sub)
                .collect(Collectors.joining(", ")));
      }
    }
    System.out.println();
    System.out.println(
        "Every command explains itself with --help, e.g.: "
            + "java -jar server/target/parley-server.jar infer --help");
    return sum == 10f ? 0 : 1;
  }

  private static String firstLine(CommandLine cmd) {
    String[] d = cmd.getCommandSpec().usageMessage().description();
    return d.length == 0 ? "" : d[0];
  }
}
