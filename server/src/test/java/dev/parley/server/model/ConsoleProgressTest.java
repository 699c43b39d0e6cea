package dev.parley.server.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final long[] now = {0};
  private final ConsoleProgress bar =
      new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), () -> now[0]);

  private String out() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void drawsOneLineRedrawnInPlace() {
    long total = 4L << 30;
    bar.update("model.safetensors", 0, total);
    now[0] = 2_000_000_000L;
    bar.update("model.safetensors", total / 2, total);
    bar.finished("model.safetensors", total);

    String[] draws = out().split("\r", -1);
    assertThat(draws[0]).isEmpty();
    assertThat(draws).hasSize(4);
    assertThat(draws[1])
        .startsWith("model.safetensors    0% [........................]  0 B / 4.0 GiB");
    assertThat(draws[2])
        .startsWith("model.safetensors   50% [############............]  2.0 GiB / 4.0 GiB")
        .contains("1.0 GiB/s");
    assertThat(draws[3])
        .startsWith("model.safetensors  100% [########################]  4.0 GiB / 4.0 GiB")
        .endsWith(System.lineSeparator());
  }

  @Test
  void redrawsAtMostTenTimesASecond() {
    bar.update("f", 0, 1000);
    for (int i = 1; i < 100; i++) {
      now[0] += 1_000_000L; // 1 ms apart
      bar.update("f", i, 1000);
    }
    assertThat(out().split("\r", -1)).hasSize(2);
  }

  @Test
  void aNewFileStartsANewLine() {
    bar.update("a", 5, 10);
    bar.update("b", 0, -1);
    assertThat(out())
        .isEqualTo(
            "\ra   50% [############............]  5 B / 10 B"
                + System.lineSeparator()
                + "\rb  0 B");
  }
}
