package dev.parley.codec.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs Debian's audio tools (opus-tools, sox, espeak-ng) as independent references. Where a tool is
 * missing, tests are skipped on a developer machine with a message saying what to install, but fail
 * under CI ({@code CI=true}) or with {@code -Dparley.requireTools=true}, so CI can never go green
 * without running them.
 */
public final class ExternalTools {
  private ExternalTools() {}

  public static void require(String tool, String debianPackage) {
    boolean present = onPath(tool);
    if (present) {
      return;
    }
    String message =
        tool + " not found: apt-get install " + debianPackage + " (.ci/run installs it)";
    if ("true".equalsIgnoreCase(System.getenv("CI")) || Boolean.getBoolean("parley.requireTools")) {
      fail(message);
    }
    Assumptions.assumeTrue(false, message);
  }

  public static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  /** Runs a command, failing the test with its output if it does not exit 0 within a minute. */
  public static String run(String... command) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(command));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("timed out: " + String.join(" ", cmd));
    }
    String text = new String(out, java.nio.charset.StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      fail("exit " + p.exitValue() + ": " + String.join(" ", cmd) + "\n" + text);
    }
    return text;
  }

  /** Speech from espeak-ng, as a WAV file at espeak's native 22.05 kHz. */
  public static Path speechWav(Path dir, String text) throws IOException, InterruptedException {
    require("espeak-ng", "espeak-ng");
    Path wav = dir.resolve("speech.wav");
    run("espeak-ng", "-v", "en-us", "-s", "150", "-w", wav.toString(), text);
    return wav;
  }

  /** Speech from espeak-ng resampled by sox to {@code rate} Hz mono float. */
  public static Path speechWav(Path dir, String text, int rate)
      throws IOException, InterruptedException {
    Path raw = speechWav(dir, text);
    require("sox", "sox");
    Path out = dir.resolve("speech-" + rate + ".wav");
    run(
        "sox",
        raw.toString(),
        "-e",
        "floating-point",
        "-b",
        "32",
        out.toString(),
        "rate",
        "-v",
        String.valueOf(rate));
    return out;
  }
}
