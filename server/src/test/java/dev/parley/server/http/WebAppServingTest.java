package dev.parley.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.tts.SynthesisModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The built-in web app's files at {@code /} and {@code /api/status} on a real server (loopback, the
 * demo TTS model only): content types and headers, requests that try to leave the app's folder, and
 * status numbers checked against the Prometheus text of {@code /metrics}.
 */
class WebAppServingTest {
  static SynthesisModel model;
  static ParleyServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    model = SynthesisModel.demo(Device.cpu());
    server =
        new ParleyServer(
                null,
                null,
                model,
                ServerConfig.defaults()
                    .withHost("127.0.0.1")
                    .withPort(0)
                    .withGrpcPort(-1)
                    .withMaxSessions(3))
            .start();
  }

  @AfterAll
  static void stop() {
    server.close();
    model.close();
  }

  static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A request line sent as is (java.net.http would normalise the path). */
  static String rawStatusLine(String path) throws IOException {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String head = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      return head.substring(0, head.indexOf("\r\n"));
    }
  }

  @Test
  void theAppIsServedFromTheJarWithItsTypesAndAPolicyThatKeepsItOnThisServer() throws Exception {
    HttpResponse<String> index = get("/");
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    assertThat(index.body()).contains("<title>Parley</title>", "js/main.js");
    assertThat(index.headers().firstValue("content-security-policy").orElseThrow())
        .contains("default-src 'self'");
    assertThat(index.headers().firstValue("x-content-type-options")).hasValue("nosniff");
    // Every module the page loads is there, as JavaScript.
    for (String js :
        new String[] {
          "main",
          "api",
          "talk",
          "transcribe",
          "speak",
          "server",
          "audio",
          "ogg",
          "msgpack",
          "files",
          "worklets"
        }) {
      HttpResponse<String> r = get("/js/" + js + ".js");
      assertThat(r.statusCode()).as(js).isEqualTo(200);
      assertThat(r.headers().firstValue("content-type")).hasValue("text/javascript; charset=utf-8");
    }
    assertThat(get("/app.css").headers().firstValue("content-type"))
        .hasValue("text/css; charset=utf-8");
    assertThat(get("/index.html").body()).isEqualTo(index.body());
  }

  @Test
  void nothingOutsideTheAppsFolderCanBeReached() throws Exception {
    for (String path :
        new String[] {
          "/../logback.xml",
          "/js/../../logback.xml",
          "/%2e%2e/logback.xml",
          "/..%2flogback.xml",
          "/logback.xml",
          "/dev/parley/server/ParleyServer.class",
          "/webapp/index.html",
          "/js/",
          "/missing.js",
          "//etc/passwd",
          "/.hidden.js",
          "/js/main.js%00.css"
        }) {
      assertThat(rawStatusLine(path)).as(path).isEqualTo("HTTP/1.1 404 Not Found");
    }
  }

  @Test
  void statusReportsTheModelsSessionsAndTheSameNumbersAsMetrics() throws Exception {
    HttpResponse<byte[]> wav =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/tts"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"text\": \"hello status page\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(wav.statusCode()).isEqualTo(200);

    HttpResponse<String> res = get("/api/status");
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode s = new ObjectMapper().readTree(res.body());
    String metrics = get("/metrics").body();
    assertThat(s.path("ready").asBoolean()).isTrue();
    assertThat(s.path("models")).hasSize(1);
    JsonNode m = s.path("models").get(0);
    assertThat(m.path("name").asText()).isEqualTo(SynthesisModel.DEMO_NAME);
    assertThat(m.path("kind").asText()).isEqualTo("speech");
    assertThat(m.path("device").asText()).isEqualTo("cpu");
    assertThat(m.path("demo").asBoolean()).isTrue();
    assertThat(s.path("voices").size()).isEqualTo(SynthesisModel.DEMO_VOICES.size());
    assertThat(s.path("engines").has("dialogue")).isFalse();
    JsonNode speech = s.path("engines").path("speech");
    assertThat(speech.path("capacity").asInt()).isEqualTo(3);
    assertThat(speech.path("sessions_live").asDouble())
        .isEqualTo(sample(metrics, "parley_tts_sessions_active"));
    assertThat(speech.path("sessions_started").asDouble())
        .isEqualTo(sample(metrics, "parley_tts_sessions_started_total"))
        .isGreaterThanOrEqualTo(1);
    JsonNode step = speech.path("stage_ms").path("step");
    double count = sample(metrics, "parley_stage_tts_step_seconds_count");
    assertThat(count).isPositive();
    assertThat(step.path("count").asDouble()).isEqualTo(count);
    assertThat(step.path("sum").asDouble())
        .isCloseTo(
            sample(metrics, "parley_stage_tts_step_seconds_sum") * 1000,
            org.assertj.core.data.Offset.offset(1e-3));
    assertThat(step.path("p50").asDouble())
        .isPositive()
        .isLessThanOrEqualTo(step.path("p99").asDouble());
    assertThat(speech.path("batch_size").path("count").asDouble())
        .isEqualTo(sample(metrics, "parley_tts_batch_size_count"));
    assertThat(speech.path("deadline_misses").isNull()).as("TTS is off the 80 ms clock").isTrue();
  }

  /** One unlabelled sample of the Prometheus text. */
  static double sample(String metrics, String name) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*\\})? (\\S+)$")
            .matcher(metrics);
    assertThat(m.find()).as(name + " in /metrics").isTrue();
    return Double.parseDouble(m.group(1));
  }
}
