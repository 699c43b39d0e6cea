package dev.parley.client.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/parley, the launcher the README puts on the PATH, in a checkout whose jar is not built. */
class LauncherTest {
  @Test
  void beforeTheBuildItSaysWhatToRun(@TempDir Path checkout) throws Exception {
    Path repo = Path.of("").toAbsolutePath().getParent();
    Path script = checkout.resolve("bin/parley");
    Files.createDirectories(script.getParent());
    Files.copy(repo.resolve("bin/parley"), script);
    assertThat(Files.isExecutable(repo.resolve("bin/parley")))
        .as("bin/parley is executable")
        .isTrue();
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    Process p =
        new ProcessBuilder(script.toString(), "--version").redirectErrorStream(true).start();
    String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).isEqualTo(3);
    assertThat(said)
        .contains(
            checkout.toRealPath().resolve("client-sdk/target/parley.jar") + " is not built yet",
            "./mvnw -B -q package -DskipTests");
  }
}
