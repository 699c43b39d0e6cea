package dev.parley.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command and subcommand of the parley CLI answers -h and --help with its usage. */
class HelpTreeTest {

  @Test
  void everyCommandAnswersHelpWithUsageAndExitZero() {
    List<List<String>> paths = new ArrayList<>();
    collect(new CommandLine(new ParleyCli()), new ArrayList<>(), paths);
    assertThat(paths).hasSizeGreaterThanOrEqualTo(8);
    for (List<String> path : paths) {
      for (String flag : List.of("-h", "--help")) {
        List<String> args = new ArrayList<>(path);
        args.add(flag);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code =
            ParleyCli.run(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
        String name = path.isEmpty() ? "parley" : path.get(path.size() - 1);
        assertThat(code).as("exit of %s, stderr: %s", args, err).isZero();
        assertThat(out.toString()).as("usage of %s", args).contains("Usage: ", name, "--help");
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
