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
    assertThat(
            run(
                "bench",
                "lm",
                "--config",
                "tiny",
                "--batch",
                "3",
                "--steps",
                "2",
                "--warmup",
                "0",
                "--head-start",
                "4"))
        .matches(
            "bench=lm config=tiny batch=3 steps=2 threads=2 head_start=4 step_p50_ms=[0-9.]+"
                + " step_p99_ms=[0-9.]+");
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

  @Test
  void chatWithAPromptReportsTheLiveSessionsBeforeDuringAndAfterItsPrefill() {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true));
    String text = "You are a patient guide.";
    try {
      assertThat(
              ParleyMain.commandLine()
                  .execute(
                      "bench",
                      "chat",
                      "--model",
                      "demo-personaplex",
                      "--sessions",
                      "2",
                      "--seconds",
                      "1",
                      "--warmup-seconds",
                      "1",
                      "--prompt",
                      text,
                      "--prompt-repeat",
                      "3",
                      "--prompt-voice-seconds",
                      "1"))
          .isZero();
    } finally {
      System.setOut(original);
    }
    // 1 s of voice is 13 frames (the last padded), then 2 silences of 6 frames, then one step per
    // token of the wrapped text.
    String wrapped = "<system> " + String.join(" ", text, text, text) + " <system>";
    int steps = 13 + 12 + dev.parley.server.model.DemoModel.tokenizer().encode(wrapped).length;
    java.util.List<String> lines =
        out.toString().lines().filter(l -> l.startsWith("bench=chat-prompt ")).toList();
    assertThat(lines).hasSize(3);
    String[] windows = {"before", "prefill", "after"};
    for (int i = 0; i < 3; i++) {
      assertThat(lines.get(i))
          .matches(
              "bench=chat-prompt window="
                  + windows[i]
                  + " sessions=2 prompt_steps="
                  + steps
                  + " seconds=[0-9.]+ frames=[0-9]+ steps=[0-9]+ latency_p50_ms=.* "
                  + "interarrival_p99_ms=.* step_max_ms=.* deadline_misses=[0-9]+");
    }
    // The prefill window holds the prefill's own steps (its last one may be counted only after the
    // prompt-done event that closes the window).
    assertThat(Long.parseLong(lines.get(1).replaceAll(".* steps=([0-9]+) .*", "$1")))
        .isGreaterThanOrEqualTo(steps - 1);
  }
}
