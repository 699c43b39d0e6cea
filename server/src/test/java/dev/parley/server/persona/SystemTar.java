package dev.parley.server.persona;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** Archives made by the system's GNU {@code tar}, independent of the code that reads them. */
public final class SystemTar {
  private SystemTar() {}

  /**
   * {@code tar -czP} of the named members of {@code stage}, in that order, names kept as given
   * ({@code ../} included), folders without their contents.
   */
  public static Path tgz(Path stage, Path archive, String... members)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("tar", "-czPf", archive.toString()));
    cmd.addAll(List.of("--no-recursion", "-C", stage.toString()));
    cmd.addAll(Arrays.asList(members));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    return archive;
  }

  /** The names of a folder's entries, sorted. */
  public static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
