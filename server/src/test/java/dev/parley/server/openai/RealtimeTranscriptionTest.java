package dev.parley.server.openai;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.wav.WavReader;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/realtime} transcription sessions on a real server (the demo STT model, one slot), with
 * the JDK's WebSocket client sending OpenAI's documented JSON events in real time.
 */
class RealtimeTranscriptionTest {
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
                    .maxSessions(1)
                    .build())
            .start();
  }

  @AfterAll
  static void stop() {
    server.close();
    stt.close();
  }

  /** Every server event, parsed, in arrival order. */
  static final class Client implements WebSocket.Listener {
    final List<JsonNode> events = new CopyOnWriteArrayList<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    WebSocket ws;

    static Client connect() {
      Client c = new Client();
      c.ws =
          HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .buildAsync(
                  URI.create("ws://127.0.0.1:" + server.port() + "/v1/realtime?model=whisper-1"), c)
              .join();
      return c;
    }

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

    @Override
    public void onError(WebSocket w, Throwable error) {
      closed.complete(-1);
    }

    void send(String json) {
      ws.sendText(json, true).join();
    }

    List<JsonNode> of(String type) {
      return events.stream().filter(e -> e.path("type").asText().equals(type)).toList();
    }

    void await(String type, int count) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (of(type).size() < count) {
        assertThat(System.nanoTime()).as("waiting for " + type).isLessThan(deadline);
        Thread.sleep(20);
      }
    }
  }

  static String append(float[] pcm, int from, int to) {
    ByteBuffer b = ByteBuffer.allocate((to - from) * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = from; i < to; i++) {
      b.putShort((short) Math.round(Math.max(-1, Math.min(1, pcm[i])) * 32767));
    }
    return "{\"type\": \"input_audio_buffer.append\", \"audio\": \""
        + Base64.getEncoder().encodeToString(b.array())
        + "\"}";
  }

  @Test
  void aSessionInRealTimeGivesDeltasThatMakeTheCompletedTranscript(@TempDir Path dir)
      throws Exception {
    Path wav = ExternalTools.speechWav(dir, "Transcribe this sentence, please.", 24000);
    float[] speech = WavReader.read(wav).samples();
    var post =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/api/asr-streaming"))
                    .POST(HttpRequest.BodyPublishers.ofFile(wav))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    String reference = JSON.readTree(post.body()).path("text").asText();
    assertThat(reference).isNotBlank();

    Client c = Client.connect();
    try {
      transcribe(c, speech, reference);
    } finally {
      c.ws.abort();
    }
  }

  void transcribe(Client c, float[] speech, String reference) throws Exception {
    c.await("session.created", 1);
    c.send(
        "{\"type\": \"session.update\", \"session\": {\"type\": \"transcription\", \"audio\":"
            + " {\"input\": {\"format\": {\"type\": \"audio/pcm\", \"rate\": 24000},"
            + " \"turn_detection\": null}}}}");
    c.await("session.updated", 1);
    // Bad input: each gets an error event, and the session goes on.
    c.send("{not json");
    c.send("{\"type\": \"no.such.event\"}");
    c.send("{\"type\": \"input_audio_buffer.append\", \"audio\": \"@@not base64@@\"}");
    c.send(
        "{\"type\": \"session.update\", \"session\": {\"audio\": {\"input\": {\"format\":"
            + " {\"type\": \"audio/pcm\", \"rate\": 16000}}}}}");
    c.send("{\"type\": \"session.update\", \"session\": {\"input_audio_format\": \"mp3\"}}");
    c.await("error", 5);
    assertThat(c.of("error"))
        .allSatisfy(e -> assertThat(e.path("error").path("message").asText()).isNotBlank());

    // 100 ms pieces at real-time pace, then a commit.
    int piece = 2400;
    long t0 = System.nanoTime();
    for (int i = 0; i < speech.length; i += piece) {
      c.send(append(speech, i, Math.min(speech.length, i + piece)));
      long due = t0 + (long) ((i + piece) / 24000.0 * 1e9);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000);
      }
    }
    c.send("{\"type\": \"input_audio_buffer.commit\"}");
    c.await("conversation.item.input_audio_transcription.completed", 1);

    JsonNode done = c.of("conversation.item.input_audio_transcription.completed").get(0);
    String item = done.path("item_id").asText();
    StringBuilder deltas = new StringBuilder();
    for (JsonNode d : c.of("conversation.item.input_audio_transcription.delta")) {
      assertThat(d.path("item_id").asText()).isEqualTo(item);
      deltas.append(d.path("delta").asText());
    }
    assertThat(done.path("transcript").asText()).isEqualTo(deltas.toString());
    assertThat(deltas.toString()).isEqualTo(reference);
    assertThat(c.of("input_audio_buffer.speech_started")).hasSize(1);
    assertThat(c.of("input_audio_buffer.speech_stopped")).hasSize(1);
    assertThat(c.of("input_audio_buffer.committed").get(0).path("item_id").asText())
        .isEqualTo(item);
    assertThat(c.closed).isNotDone();
    c.ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
    c.closed.get(30, TimeUnit.SECONDS);
  }

  @Test
  void anAbruptDisconnectFreesTheOnlySlot() throws Exception {
    for (int round = 0; round < 3; round++) {
      Client c = Client.connect();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (c.of("session.created").isEmpty()) { // the previous round's slot may be freeing
        if (!c.of("error").isEmpty() || c.closed.isDone()) {
          assertThat(System.nanoTime()).as("a slot frees").isLessThan(deadline);
          Thread.sleep(200);
          c = Client.connect();
        }
        Thread.sleep(20);
      }
      c.send(append(new float[4800], 0, 4800));
      c.ws.abort();
    }
  }
}
