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
        // A usage error in one line and a pointer to --help, not the whole usage.
        .setParameterExceptionHandler(
            (e, args) -> {
              CommandLine cmd = e.getCommandLine();
              cmd.getErr().println("error: " + e.getMessage());
              CommandLine.UnmatchedArgumentException.printSuggestions(e, cmd.getErr());
              cmd.getErr()
                  .println(
                      "Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for its options.");
              cmd.getErr().flush();
              return cmd.getCommandSpec().exitCodeOnInvalidInput();
            })
        // Bad input files are the user's problem to fix, not a crash: one line, exit code 2.
        .setExecutionExceptionHandler(
            (e, cmd, parsed) -> {
              cmd.getErr().println("error: " + describe(e));
              return 2;
            });
  }

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    return InfoCommand.selfCheck(spec);
  }

  /** One line a user can act on: file errors say what is wrong with which path. */
  static String describe(Throwable e) {
    Throwable t =
        e instanceof java.io.UncheckedIOException && e.getCause() != null ? e.getCause() : e;
    if (t instanceof java.nio.file.NoSuchFileException f) {
      return "no such file: " + f.getFile();
    }
    if (t instanceof java.nio.file.AccessDeniedException f) {
      return "permission denied: " + f.getFile();
    }
    if (t instanceof java.nio.file.NotDirectoryException f) {
      return "not a directory: " + f.getFile();
    }
    if (t instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
      return f.getFile() + ": " + f.getReason();
    }
    return String.valueOf(t.getMessage());
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
