package dev.parley.server.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ApiKeys;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI routes behind the edge that checks keys from the request head: refusals reach OpenAI's
 * clients in OpenAI's error JSON, an upload without a key is refused before its body, and the
 * Realtime socket takes the key as a subprotocol (what browsers send) or a header.
 */
class OpenAiKeysAtTheEdgeTest {
  static final String KEY = "sk-edge-test";
  static final ObjectMapper JSON = new ObjectMapper();
  static SpeechModel stt;
  static ParleyServer server;

  @BeforeAll
  static void start() throws Exception {
    stt = DemoModel.buildStt(Device.cpu());
    server =
        new ParleyServer(
                null,
                stt,
                null,
                ServerConfig.builder()
                    .host("127.0.0.1")
                    .port(0)
                    .grpcPort(-1)
                    .maxSessions(2)
                    .build()
                    .withApiKeys(new ApiKeys(Set.of(KEY))))
            .start();
  }

  @AfterAll
  static void stop() {
    server.close();
    stt.close();
  }

  /** Sends a raw request head (no body) and reads the whole answer. */
  static String rawHead(String head) throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      for (int n; (n = in.read(buf)) >= 0; ) {
        got.write(buf, 0, n);
      }
      return got.toString(StandardCharsets.UTF_8);
    }
  }

  @Test
  void anUploadWithoutAKeyIsRefusedFromItsHeadInOpenAisShape() throws Exception {
    // 20 MB announced, not one body byte sent: the answer must come anyway, and the socket close.
    String answer =
        rawHead(
            "POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\n"
                + "Content-Type: multipart/form-data; boundary=b\r\n"
                + "Content-Length: 20000000\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 401");
    assertThat(answer).containsIgnoringCase("content-type: application/json");
    JsonNode error = JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4)).path("error");
    assertThat(error.path("code").asText()).isEqualTo("invalid_api_key");
    assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
    assertThat(error.has("param")).isTrue();
  }

  @Test
  void aBodyPastTheLimitIsRefusedInOpenAisShape() throws Exception {
    String answer =
        rawHead(
            "POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + KEY
                + "\r\nContent-Type: application/json\r\nContent-Length: 900000000\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 413");
    JsonNode error = JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4)).path("error");
    assertThat(error.path("message").asText()).contains("larger than");
    assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
  }

  static final class Events implements WebSocket.Listener {
    final List<JsonNode> events = new CopyOnWriteArrayList<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        try {
          events.add(JSON.readTree(partial.toString()));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        partial.setLength(0);
      }
      w.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
      closed.complete(status);
      return null;
    }

    boolean created() {
      return events.stream().anyMatch(e -> e.path("type").asText().equals("session.created"));
    }
  }

  static void awaitCreated(Events e) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!e.created()) {
      assertThat(System.nanoTime()).as("session.created arrives").isLessThan(deadline);
      assertThat(e.closed).as("the socket stays open").isNotDone();
      Thread.sleep(20);
    }
  }

  static URI realtime() {
    return URI.create("ws://127.0.0.1:" + server.port() + "/v1/realtime?model=whisper-1");
  }

  @Test
  void realtimeTakesTheKeyAsASubprotocolOrAHeaderAndRefusesAWrongOne() throws Exception {
    Events bySubprotocol = new Events();
    WebSocket a =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .subprotocols("realtime", RealtimeRoute.KEY_PROTOCOL + KEY)
            .buildAsync(realtime(), bySubprotocol)
            .join();
    awaitCreated(bySubprotocol);
    a.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();

    Events byHeader = new Events();
    WebSocket b =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .header("Authorization", "Bearer " + KEY)
            .buildAsync(realtime(), byHeader)
            .join();
    awaitCreated(byHeader);
    b.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();

    assertThatThrownBy(
            () ->
                HttpClient.newHttpClient()
                    .newWebSocketBuilder()
                    .subprotocols("realtime", RealtimeRoute.KEY_PROTOCOL + "sk-wrong")
                    .buildAsync(realtime(), new Events())
                    .join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOfSatisfying(
            WebSocketHandshakeException.class,
            e -> assertThat(e.getResponse().statusCode()).isEqualTo(401));
  }

  @Test
  void anIdleRealtimeClientGetsAnErrorEventThenTheCloseAndItsSlotFrees() throws Exception {
    ParleyServer idle =
        new ParleyServer(
                null,
                stt,
                null,
                ServerConfig.builder()
                    .host("127.0.0.1")
                    .port(0)
                    .grpcPort(-1)
                    .maxSessions(1)
                    .build()
                    .withLimits(1 << 20, 25, java.time.Duration.ofSeconds(2)))
            .start();
    try {
      URI uri = URI.create("ws://127.0.0.1:" + idle.port() + "/v1/realtime?model=whisper-1");
      Events quiet = new Events();
      HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(uri, quiet).join();
      awaitCreated(quiet);
      assertThat(quiet.closed.get(60, TimeUnit.SECONDS)).isEqualTo(1008);
      assertThat(quiet.events)
          .anySatisfy(
              e -> {
                assertThat(e.path("type").asText()).isEqualTo("error");
                assertThat(e.path("error").path("code").asText()).isEqualTo("idle_timeout");
              });
      // The only slot is free again: a new session is created.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (true) {
        Events next = new Events();
        WebSocket w = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(uri, next).join();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!next.created() && !next.closed.isDone() && System.nanoTime() < until) {
          Thread.sleep(20);
        }
        if (next.created()) {
          w.abort();
          break;
        }
        w.abort();
        assertThat(System.nanoTime()).as("the idle session's slot frees").isLessThan(deadline);
        Thread.sleep(200);
      }
    } finally {
      idle.close();
    }
  }
}
