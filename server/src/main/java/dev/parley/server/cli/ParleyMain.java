package dev.parley.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code parley-server.jar} entry point. With no subcommand it runs {@link InfoCommand}: the
 * self-check and the list of commands this build contains.
 */
@Command(
    name = "parley-server",
    mixinStandardHelpOptions = true,
    versionProvider = ParleyMain.Version.class,
    description =
        "Parley: real-time full-duplex spoken dialogue, transcription and speech synthesis.",
    subcommands = {
      InfoCommand.class,
      ServeCommand.class,
      AudioCommand.class,
      CodecCommand.class,
      LmCommand.class,
      InferCommand.class,
      SynthesizeCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class ParleyMain implements java.util.concurrent.Callable<Integer> {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new ParleyMain())
        .setCaseInsensitiveEnumValuesAllowed(true)
        // Bad input files are the user's problem to fix, not a crash: one line, exit code 2.
        .setExecutionExceptionHandler(
            (e, cmd, parsed) -> {
              cmd.getErr().println("error: " + e.getMessage());
              return 2;
            });
  }

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    return InfoCommand.selfCheck(spec);
  }

  static String version() {
    String v = ParleyMain.class.getPackage().getImplementationVersion();
    return v == null ? "development build" : v;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"Parley " + version()};
    }
  }
}
