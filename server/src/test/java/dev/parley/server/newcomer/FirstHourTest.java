package dev.parley.server.newcomer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.client.cli.ParleyCli;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavReader;
import dev.parley.codec.wav.WavWriter;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.tts.SynthesisModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default server (demo dialogue, transcription and synthesis) on loopback, as a newcomer starts
 * it, with the parley CLI talking to it: /metrics before any client, the model list, and a chat
 * from a file.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FirstHourTest {
  static SpeechModel dialogue;
  static SpeechModel stt;
  static SynthesisModel tts;
  static ParleyServer server;

  @BeforeAll
  static void start() throws Exception {
    dialogue = DemoModel.build(Device.cpu());
    stt = DemoModel.buildStt(Device.cpu());
    tts = SynthesisModel.demo(Device.cpu());
    server =
        new ParleyServer(
                dialogue,
                stt,
                tts,
                ServerConfig.builder().host("127.0.0.1").port(0).grpcPort(0).maxSessions(2).build())
            .start();
  }

  @AfterAll
  static void stop() {
    server.close();
    dialogue.close();
    stt.close();
    tts.close();
  }

  record Run(int status, String out, String err) {}

  static Run parley(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--server");
    all.add("127.0.0.1:" + server.grpcPort());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status =
        ParleyCli.run(all.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
    return new Run(status, out.toString(), err.toString());
  }

  static String scrape() throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** Sample values by series name (labels included), from the text exposition. */
  static Map<String, Double> samples(String exposition) {
    Map<String, Double> m = new HashMap<>();
    for (String line : exposition.lines().toList()) {
      if (!line.startsWith("#") && !line.isBlank()) {
        int space = line.lastIndexOf(' ');
        m.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      }
    }
    return m;
  }

  @Test
  @Order(1)
  void beforeAnyClientEveryMetricHasHelpAndWarmUpIsNotTraffic() throws Exception {
    String text = scrape();
    List<String> typed = new ArrayList<>();
    Map<String, String> help = new HashMap<>();
    for (String line : text.lines().toList()) {
      String[] p = line.split(" ", 4);
      if (line.startsWith("# TYPE ")) {
        typed.add(p[2]);
      } else if (line.startsWith("# HELP ")) {
        help.put(p[2], p.length > 3 ? p[3].strip() : "");
      }
    }
    assertThat(typed).contains("parley_bytes_in_bytes_total", "parley_sessions_started_total");
    for (String name : typed) {
      assertThat(help.get(name)).as("HELP of %s", name).isNotBlank();
    }
    // Prometheus's own linter agrees that no metric lacks its help text.
    if (ExternalTools.onPath("promtool") || "true".equals(System.getenv("CI"))) {
      Path f = java.nio.file.Files.createTempFile("metrics", ".txt");
      java.nio.file.Files.writeString(f, text);
      Process lint =
          new ProcessBuilder("promtool", "check", "metrics")
              .redirectInput(f.toFile())
              .redirectErrorStream(true)
              .start();
      String said = new String(lint.getInputStream().readAllBytes());
      lint.waitFor();
      assertThat(said).as("promtool check metrics").doesNotContain("no help text");
      java.nio.file.Files.delete(f);
    }
    // The warm-up ran every slot of every engine, and none of it is counted.
    Map<String, Double> v = samples(text);
    for (String series :
        List.of(
            "parley_sessions_started_total",
            "parley_stt_sessions_started_total",
            "parley_tts_sessions_started_total",
            "parley_batch_size_count",
            "parley_stt_batch_size_count",
            "parley_tts_batch_size_count",
            "parley_deadline_misses_total",
            "parley_sessions_active")) {
      assertThat(v).as(series).containsEntry(series, 0.0);
    }
  }

  @Test
  @Order(2)
  void modelsMarkTheDemos() throws Exception {
    Run table = parley("models");
    assertThat(table.status()).as(table.err()).isZero();
    assertThat(table.out())
        .contains("demo (demo)", "demo-stt (demo)", "demo-tts (demo)", "random weights")
        .doesNotContain("cpu()");
    Run json = parley("models", "--json");
    assertThat(json.status()).isZero();
    var models =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out()).get("models");
    assertThat(models).hasSize(3);
    models.forEach(m -> assertThat(m.get("demo").asBoolean()).as(m.toString()).isTrue());
    models.forEach(m -> assertThat(m.get("device").asText()).isEqualTo("cpu"));
  }

  /**
   * The demo never falls quiet (random weights), so the CLI listens up to its --tail cap after the
   * file, and says the reply may be cut off; one started session is counted.
   */
  @Test
  @Order(3)
  void chatFromAFileListensAfterTheInputUpToItsCap(@TempDir Path dir) throws Exception {
    ExternalTools.require("soxi", "sox");
    Path in = dir.resolve("q.wav");
    float[] x = new float[24000];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (0.3 * Math.sin(2 * Math.PI * 300 * i / 24000.0));
    }
    WavWriter.writeMono(in, x, 24000, WavEncoding.PCM_S16);
    Path out = dir.resolve("reply.wav");
    Run r =
        parley("chat", "--in", in.toString(), "--out", out.toString(), "--fast", "--tail", "1.6");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.err()).contains("listened 1.60 s after the input", "still talking", "--tail");
    WavAudio reply = WavReader.read(out);
    // 1 s of question (13 frames) and 1.6 s of listening (20 frames), less the model's one-frame
    // delay.
    assertThat(reply.durationSeconds())
        .isCloseTo(32 * 0.08, org.assertj.core.data.Offset.offset(0.081));
    assertThat(ExternalTools.run("soxi", "-D", out.toString()).strip()).startsWith("2.");
    assertThat(samples(scrape())).containsEntry("parley_sessions_started_total", 1.0);
  }

  /** Two slots, three sessions: one is refused (server full), and the bench says so in its exit. */
  @Test
  @Order(4)
  void benchPrintsItsWarmUpAndFailsWhenASessionFailed() throws Exception {
    Run r =
        parley("bench", "--sessions", "3", "--seconds", "0.8", "--warmup-seconds", "0.4", "--json");
    assertThat(r.status()).as(r.err()).isEqualTo(2);
    assertThat(r.err())
        .contains("0.4 s of warm-up (--warmup-seconds, not measured)", "1 of 3 sessions failed");
    var j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
    assertThat(j.get("errors")).hasSize(1);
    assertThat(j.get("warmup_seconds").asDouble()).isEqualTo(0.4);
    assertThat(r.err()).as("no progress bar into a non-terminal").doesNotContain("\r");
  }

  /**
   * Over /api/chat the bench waits for each session's reply to catch up with its input: all but the
   * last frame (the model's one-frame delay), then it closes.
   */
  @Test
  @Order(5)
  void wsBenchGetsEveryReplyFrame() throws Exception {
    Run r =
        parley(
            "bench",
            "--transport",
            "ws",
            "--ws-url",
            "ws://127.0.0.1:" + server.port() + "/api/chat",
            "--sessions",
            "2",
            "--seconds",
            "0.8",
            "--warmup-seconds",
            "0.4",
            "--json");
    assertThat(r.status()).as(r.err()).isZero();
    var j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
    assertThat(j.get("errors")).isEmpty();
    assertThat(j.get("frames_in").asLong()).isEqualTo(2 * 15);
    // All but the delayed frame, less what the last Ogg Opus page of each session may hold back.
    assertThat(j.get("frames_out").asLong()).isBetween(2 * 14 - 2 * 4L, 2 * 14L);
  }
}
