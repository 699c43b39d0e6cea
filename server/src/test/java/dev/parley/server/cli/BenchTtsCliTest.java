package dev.parley.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code bench tts} runs and prints its key=value lines (structure only: no timing is asserted).
 */
class BenchTtsCliTest {
  static List<String> run(String... args) {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true));
    try {
      assertThat(ParleyMain.commandLine().execute(args)).isZero();
    } finally {
      System.setOut(original);
    }
    return Arrays.asList(out.toString().strip().split("\n"));
  }

  static String value(String line, String key) {
    return line.replaceAll(".* " + key + "=([^ ]+)( .*|$)", "$1");
  }

  @Test
  void demoStepsStreamsAndSummary() {
    List<String> lines =
        run(
            "bench",
            "tts",
            "--streams",
            "2",
            "--words",
            "4",
            "--rounds",
            "1",
            "--warmup",
            "0",
            "--batch-sizes",
            "1,2");
    assertThat(lines)
        .anyMatch(
            l ->
                l.matches(
                    "bench=tts-setup config=demo model=demo-tts threads=[0-9]+ codebooks=8 "
                        + "delay_steps=6 max_acoustic_delay=2 expected_steps_to_first_audio=9 "
                        + "guidance=distilled"));
    List<String> steps = lines.stream().filter(l -> l.startsWith("bench=tts-step ")).toList();
    assertThat(steps).hasSize(2);
    assertThat(steps.get(0))
        .matches(
            "bench=tts-step config=demo batch=1 steps=[0-9]+ step_p50_ms=[0-9.]+ "
                + "step_p90_ms=[0-9.]+ lm_p50_ms=[0-9.]+ decode_p50_ms=[0-9.]+ decode_share=[0-9.]+ per_stream_ms=[0-9.]+ "
                + "ratio_to_batch1=1.00");
    assertThat(Long.parseLong(value(steps.get(1), "steps")))
        .as("batch-2 steps measured")
        .isPositive();

    // One stream in a 1-slot engine, one in the 2-slot engine, then both streams.
    List<String> streams = lines.stream().filter(l -> l.startsWith("bench=tts-streams ")).toList();
    assertThat(streams).hasSize(3);
    assertThat(streams)
        .extracting(l -> value(l, "streams") + "/" + value(l, "slots"))
        .containsExactly("1/1", "1/2", "2/2");
    for (String l : streams) {
      assertThat(l)
          .matches(
              "bench=tts-streams config=demo .* ttfa_p50_ms=[0-9.]+ .* steps_to_first_audio=9 "
                  + "expected_steps=9 compute_p50_ms=[0-9.]+ .* overhead_p50_ms=-?[0-9.]+ .* rtf_min=[0-9.]+ .* failed=0 "
                  + "ahead=(yes|no) step_cpu_p50_ms=[0-9.]+");
      assertThat(Double.parseDouble(value(l, "audio_s"))).as("audio per synthesis").isPositive();
    }
    assertThat(lines.get(lines.size() - 1))
        .matches(
            "bench=tts config=demo threads=[0-9]+ streams=2 slots=2 words=4 "
                + "ttfa_1_p50_ms=[0-9.]+ overhead_1_p50_ms=-?[0-9.]+ ttfa_n_p50_ms=[0-9.]+ .* batch_ratio=[0-9.]+ "
                + "decode_share=[0-9.]+ ahead=(yes|no)");
  }

  @Test
  void classicCfgRunsTheConfigWithoutItsCfgCondition() {
    List<String> lines =
        run(
            "bench",
            "tts",
            "--classic-cfg",
            "--streams",
            "1",
            "--slots",
            "2",
            "--words",
            "3",
            "--rounds",
            "1",
            "--warmup",
            "0",
            "--batch-sizes",
            "none");
    assertThat(lines)
        .anyMatch(l -> l.startsWith("bench=tts-setup ") && l.endsWith(" guidance=classic"));
    assertThat(lines.stream().filter(l -> l.startsWith("bench=tts-streams ")))
        .extracting(l -> value(l, "slots") + "/" + value(l, "failed"))
        .containsExactly("1/0", "2/0");
  }

  @Test
  void tableOnlyAndUnknownConfig() {
    List<String> lines =
        run("bench", "tts", "--no-streams", "--batch-sizes", "2", "--words", "3", "--warmup", "0");
    assertThat(lines).filteredOn(l -> l.startsWith("bench=tts-streams")).isEmpty();
    assertThat(lines)
        .filteredOn(l -> l.startsWith("bench=tts-step "))
        .singleElement()
        .asString()
        .contains("batch=2 ")
        .contains("ratio_to_batch1=NaN");
    assertThat(lines.get(lines.size() - 1)).contains("ahead=n/a");
    assertThat(ParleyMain.commandLine().execute("bench", "tts", "--config", "huge", "--no-streams"))
        .isNotZero();
  }
}
