package dev.parley.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

/**
 * {@code bench lm --dep-q 0} and {@code bench stt} run and print their key=value lines (no timing
 * asserted).
 */
class BenchSttCliTest {
  static String[] run(String... args) {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true));
    try {
      assertThat(ParleyMain.commandLine().execute(args)).isZero();
    } finally {
      System.setOut(original);
    }
    return out.toString().strip().split("\n");
  }

  static String last(String... args) {
    String[] lines = run(args);
    return lines[lines.length - 1];
  }

  static long value(String line, String key) {
    return Long.parseLong(line.replaceAll(".* " + key + "=([0-9]+) .*", "$1"));
  }

  @Test
  void lmInTranscriptionModeKeepsTheLmLine() {
    String line =
        "bench=lm config=tiny-stt batch=2 steps=4 threads=2 step_p50_ms=[0-9.]+ step_p99_ms=[0-9.]+";
    assertThat(
            last(
                "bench",
                "lm",
                "--config",
                "tiny",
                "--dep-q",
                "0",
                "--batch",
                "2",
                "--steps",
                "4",
                "--warmup",
                "1"))
        .matches(line);
    assertThat(
            last(
                "bench",
                "lm",
                "--config",
                "tiny-stt",
                "--batch",
                "2",
                "--steps",
                "4",
                "--warmup",
                "1"))
        .matches(line);
    assertThat(ParleyMain.commandLine().execute("bench", "lm", "--config", "tiny", "--dep-q", "2"))
        .isNotZero();
  }

  @Test
  void sttStreamsPrintTheirRecord() {
    String line =
        last("bench", "stt", "--sessions", "2", "--seconds", "2", "--warmup-seconds", "1");
    assertThat(line)
        .matches(
            "bench=stt model=demo-stt sessions=2 seconds=2 threads=[0-9]+ frames=[0-9]+ steps=[0-9]+ "
                + "mean_batch=[0-9.]+ step_p50_ms=[0-9.]+ step_p99_ms=[0-9.]+ latency_p50_ms=[0-9.]+ latency_p99_ms=[0-9.]+ "
                + "deadline_misses=[0-9]+ backlog_frames=[0-9]+ cpu_cores=[0-9.]+ text_delay_s=2.50 "
                + "word_latency_p50_ms=[0-9]+ realtime=(yes|no) engine_cpu_ms_per_step=[0-9.]+");
    assertThat(value(line, "frames")).as("frames transcribed").isPositive();
    assertThat(value(line, "steps")).as("engine steps").isPositive();
    assertThat(value(line, "frames")).isGreaterThanOrEqualTo(value(line, "steps"));
  }

  @Test
  void findMaxDoublesAndNamesTheLargest() {
    String[] lines =
        run(
            "bench",
            "stt",
            "--find-max",
            "--sessions",
            "1",
            "--max-sessions",
            "2",
            "--seconds",
            "1",
            "--warmup-seconds",
            "0.5",
            "--threads",
            "1");
    assertThat(lines[lines.length - 1])
        .matches(
            "bench=stt-max model=demo-stt seconds=1 threads=1 "
                + "max_sessions=[0-9]+ first_failing=([0-9]+|none)");
    assertThat(java.util.Arrays.stream(lines).filter(l -> l.startsWith("bench=stt ")).count())
        .isBetween(1L, 2L);
  }
}
