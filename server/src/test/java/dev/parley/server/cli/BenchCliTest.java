package dev.parley.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.codec.testing.Golden;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

/** The bench commands run and end with their key=value line (no timing is asserted here). */
class BenchCliTest {
  static String run(String... args) {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true));
    try {
      assertThat(ParleyMain.commandLine().execute(args)).isZero();
    } finally {
      System.setOut(original);
    }
    String[] lines = out.toString().strip().split("\n");
    return lines[lines.length - 1];
  }

  @Test
  void mimiLmAndChatBenchmarksPrintTheirRecord() {
    assertThat(
            run(
                "bench",
                "mimi",
                "--mimi-config",
                Golden.path("mimi_tiny.config.json").toString(),
                "--frames",
                "3",
                "--warmup",
                "1",
                "--batch",
                "2"))
        .matches(
            "bench=mimi batch=2 frames=3 .*encode_p50_ms=[0-9.]+ .*decode_p99_ms=[0-9.]+ .*"
                + "bandwidth_gbps=[0-9.]+ floor_ms=[0-9.]+ vs_floor=[0-9.]+");
    assertThat(run("bench", "lm", "--config", "tiny", "--steps", "5", "--warmup", "1"))
        .matches(
            "bench=lm config=tiny batch=1 steps=5 threads=2 step_p50_ms=[0-9.]+ step_p99_ms=[0-9.]+");
    String chat =
        run("bench", "chat", "--sessions", "2", "--seconds", "2", "--warmup-seconds", "1");
    assertThat(chat)
        .matches(
            "bench=chat transport=ws sessions=2 seconds=2 frames=[0-9]+ .*cpu_cores=[0-9.]+ .*step_p99_ms=[0-9.]+ "
                + "engine_cpu_ms_per_step=[0-9.]+");
    assertThat(Long.parseLong(chat.replaceAll(".* frames=([0-9]+) .*", "$1")))
        .as("frames served")
        .isPositive();
    String grpc =
        run(
            "bench",
            "chat",
            "--transport",
            "grpc",
            "--sessions",
            "2",
            "--seconds",
            "2",
            "--warmup-seconds",
            "1");
    assertThat(grpc)
        .matches(
            "bench=chat transport=grpc sessions=2 seconds=2 frames=[0-9]+ .*cpu_cores=[0-9.]+ .*step_p99_ms=[0-9.]+ "
                + "engine_cpu_ms_per_step=[0-9.]+");
    assertThat(Long.parseLong(grpc.replaceAll(".* frames=([0-9]+) .*", "$1")))
        .as("frames served")
        .isPositive();
  }
}
