package dev.parley.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command and subcommand of parley-server.jar answers -h and --help with its usage. */
class HelpTreeTest {

  @Test
  void everyCommandAnswersHelpWithUsageAndExitZero() {
    List<List<String>> paths = new ArrayList<>();
    collect(ParleyMain.commandLine(), new ArrayList<>(), paths);
    // The root, the ten top-level commands and their subcommands: a tree that lost commands fails.
    assertThat(paths).hasSizeGreaterThan(20);
    for (List<String> path : paths) {
      for (String flag : List.of("-h", "--help")) {
        List<String> args = new ArrayList<>(path);
        args.add(flag);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = ParleyMain.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args.toArray(String[]::new));
        String name = path.isEmpty() ? "parley-server" : path.get(path.size() - 1);
        assertThat(code).as("exit of %s, stderr: %s", args, err).isZero();
        assertThat(out.toString()).as("usage of %s", args).contains("Usage: ", name, "-h, --help");
        assertThat(err.toString()).as("stderr of %s", args).isEmpty();
      }
    }
  }

  private static void collect(CommandLine cmd, List<String> path, List<List<String>> paths) {
    paths.add(path);
    for (Map.Entry<String, CommandLine> e : cmd.getSubcommands().entrySet()) {
      List<String> sub = new ArrayList<>(path);
      sub.add(e.getKey());
      collect(e.getValue(), sub, paths);
    }
  }
}
