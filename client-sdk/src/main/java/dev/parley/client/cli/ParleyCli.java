package dev.parley.client.cli;

import dev.parley.client.ParleyClient;
import dev.parley.client.ParleyException;
import dev.parley.client.kyutai.KyutaiChatException;
import dev.parley.client.sound.SoundDeviceException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** {@code parley}: talk to a Parley server from the command line. */
@Command(
    name = "parley",
    mixinStandardHelpOptions = true,
    versionProvider = ParleyCli.Version.class,
    description =
        "Command-line client of a Parley server: full-duplex chat, transcription, speech synthesis, "
            + "load benchmark, model and voice lists.",
    subcommands = {
      ChatCommand.class,
      BenchCommand.class,
      ModelsCommand.class,
      TranscribeCommand.class,
      SpeakCommand.class,
      VoicesCommand.class,
      CommandLine.HelpCommand.class
    })
public final class ParleyCli {
  /** Exit status when the server refused or failed a call. */
  static final int EXIT_SERVER_ERROR = 2;

  /** Exit status when a local device or file was the problem. */
  static final int EXIT_LOCAL_ERROR = 3;

  @Option(
      names = "--server",
      scope = ScopeType.INHERIT,
      defaultValue = "127.0.0.1:9998",
      paramLabel = "HOST:PORT",
      description = "gRPC address of the server (default: ${DEFAULT-VALUE}).")
  String server;

  @Option(
      names = "--api-key",
      scope = ScopeType.INHERIT,
      defaultValue = "${env:PARLEY_API_KEY}",
      paramLabel = "KEY",
      description = "API key, sent as 'authorization: Bearer KEY' (default: $PARLEY_API_KEY).")
  String apiKey;

  @Option(
      names = "--tls",
      scope = ScopeType.INHERIT,
      description = "Use TLS (verified against the JVM's trusted CAs).")
  boolean tls;

  @Option(
      names = "--trust-cert",
      scope = ScopeType.INHERIT,
      paramLabel = "PEM",
      description =
          "Use TLS and trust the certificate(s) in this PEM file (e.g. a self-signed server).")
  Path trustCert;

  /** What '-' reads; System.in unless a test gives another stream. */
  private java.io.InputStream stdin = System.in;

  java.io.InputStream stdin() {
    return stdin;
  }

  /** A client for the global connection options. */
  ParleyClient client() {
    ParleyClient.Builder b =
        ParleyClient.builder().target(server).apiKey(apiKey).deadline(Duration.ofSeconds(10));
    if (trustCert != null) {
      b.trustCertificates(trustCert);
    } else if (tls) {
      b.tls();
    }
    return b.build();
  }

  public static void main(String[] args) {
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs a command line with the given output streams; returns the exit status. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    return run(args, System.in, out, err);
  }

  /** As {@link #run(String[], PrintWriter, PrintWriter)}, reading stdin ('-') from {@code in}. */
  public static int run(String[] args, java.io.InputStream in, PrintWriter out, PrintWriter err) {
    ParleyCli top = new ParleyCli();
    top.stdin = in;
    CommandLine cli = new CommandLine(top);
    cli.setOut(out);
    cli.setErr(err);
    cli.setParameterExceptionHandler(ParleyCli::shortUsageError);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          PrintWriter w = commandLine.getErr();
          if (e instanceof ParleyException p && noServer(p)) {
            w.println(
                "parley: no Parley server at "
                    + top.server
                    + " ("
                    + p.description()
                    + "); start one (java -jar server/target/parley-server.jar serve) or point"
                    + " --server HOST:PORT at it");
            return EXIT_SERVER_ERROR;
          }
          if (e instanceof ParleyException p) {
            w.println("parley: the server answered " + p.code() + ": " + p.description());
            if (p.code().equals("UNIMPLEMENTED")) {
              w.println(
                  "parley: this server does not offer that service (no model for it is loaded there)");
            }
            return EXIT_SERVER_ERROR;
          }
          if (e instanceof java.nio.file.NoSuchFileException f) {
            w.println("parley: no such file: " + f.getFile());
            return EXIT_LOCAL_ERROR;
          }
          if (e instanceof java.nio.file.AccessDeniedException f) {
            w.println("parley: permission denied: " + f.getFile());
            return EXIT_LOCAL_ERROR;
          }
          if (e instanceof KyutaiChatException
              || e instanceof SoundDeviceException
              || e instanceof java.io.IOException
              || e instanceof IllegalArgumentException) {
            w.println("parley: " + e.getMessage());
            return EXIT_LOCAL_ERROR;
          }
          throw e;
        });
    int status = cli.execute(args);
    out.flush();
    err.flush();
    return status;
  }

  /**
   * A usage error in one line and a pointer to --help, not the whole usage (which hid the one line
   * that says what is wrong).
   */
  static int shortUsageError(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter w = cmd.getErr();
    w.println("parley: " + e.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(e, w);
    w.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for its options.");
    w.flush();
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }

  /** UNAVAILABLE from the transport itself (nothing listening), not from a server's answer. */
  private static boolean noServer(ParleyException p) {
    String d = p.description() == null ? "" : p.description().toLowerCase(java.util.Locale.ROOT);
    return p.code().equals("UNAVAILABLE")
        && (d.isEmpty() || d.contains("io exception") || d.contains("connection refused"));
  }

  /** The jar's Implementation-Version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = ParleyCli.class.getPackage().getImplementationVersion();
      return new String[] {"parley " + (v == null ? "(development build)" : v)};
    }
  }
}
