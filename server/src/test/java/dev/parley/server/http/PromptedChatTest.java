package dev.parley.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.codec.opus.OggOpusReader;
import dev.parley.codec.opus.OggOpusWriter;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavWriter;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ApiKeys;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.persona.PersonaPlexTiny;
import dev.parley.server.persona.PromptVoices;
import dev.parley.server.wire.ChatProtocol;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /api/chat?text_prompt=…&voice_prompt=…} on a real server with the tiny PersonaPlex. */
class PromptedChatTest {
  @TempDir static Path dir;
  static SpeechModel model;
  static ParleyServer server;

  @BeforeAll
  static void start() throws Exception {
    model = PersonaPlexTiny.load(dir);
    Path voices = Files.createDirectories(dir.resolve("voices"));
    // The golden voice at 16 kHz: the server resamples it to 24 kHz.
    float[] voice24 = PersonaPlexTiny.voice();
    float[] voice16 = new float[voice24.length * 2 / 3];
    for (int i = 0; i < voice16.length; i++) {
      voice16[i] = voice24[i * 3 / 2];
    }
    WavWriter.writeMono(voices.resolve("calm.wav"), voice16, 16000, WavEncoding.PCM_S16);
    Files.writeString(voices.resolve("broken.wav"), "not a wav file");
    Files.writeString(voices.resolve("old.pt"), "a torch pickle, with no old.wav");
    server =
        new ParleyServer(
                model,
                ServerConfig.defaults()
                    .withHost("127.0.0.1")
                    .withPort(0)
                    .withGrpcPort(0)
                    .withMaxSessions(2)
                    .withApiKeys(new ApiKeys(Set.of("secret-key"))))
            .start();
    server.engine().usePromptVoices(PromptVoices.in(voices));
  }

  @AfterAll
  static void stop() {
    server.close();
    model.close();
  }

  @Test
  void promptVoicesListsTheFolderAndTheLimitsAndNeedsTheKey() throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + server.port() + "/api/prompt_voices");
    java.net.http.HttpResponse<String> keyed =
        ChatServerTest.HTTP.send(
            java.net.http.HttpRequest.newBuilder(uri)
                .header("Authorization", "Bearer secret-key")
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(keyed.statusCode()).isEqualTo(200);
    com.fasterxml.jackson.databind.JsonNode body =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(keyed.body());
    assertThat(body.get("accepts_prompts").asBoolean()).isTrue();
    assertThat(body.get("voices").toString()).isEqualTo("[\"broken\",\"calm\"]");
    assertThat(body.get("max_text_chars").asInt()).isEqualTo(4000);
    assertThat(body.get("max_voice_seconds").asDouble()).isEqualTo(30.0);
    java.net.http.HttpResponse<String> anonymous =
        ChatServerTest.HTTP.send(
            java.net.http.HttpRequest.newBuilder(uri).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).isEqualTo(401);
  }

  static ChatServerTest.Client connect(String query) {
    return connect(server, query);
  }

  static ChatServerTest.Client connect(ParleyServer server, String query) {
    ChatServerTest.Client c = new ChatServerTest.Client();
    c.socket =
        ChatServerTest.HTTP
            .newWebSocketBuilder()
            .header("Authorization", "Bearer secret-key")
            .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/api/chat" + query), c)
            .join();
    return c;
  }

  /** The first {@code frames} frames of output audio a session gives for the golden user audio. */
  static float[] firstAudio(String query, int frames) throws Exception {
    return firstAudio(server, query, frames);
  }

  static float[] firstAudio(ParleyServer server, String query, int frames) throws Exception {
    ChatServerTest.Client c = connect(server, query);
    ChatServerTest.waitFor(() -> !c.ofKind(ChatProtocol.HANDSHAKE).isEmpty(), 30_000);
    assertThat(c.ofKind(ChatProtocol.HANDSHAKE)).hasSize(1);
    List<byte[]> pages = new ArrayList<>();
    try (OggOpusWriter w = new OggOpusWriter(OggOpusWriter.Options.speech24k(), pages::add)) {
      w.write(PersonaPlexTiny.userAudio(frames + 6));
    }
    for (byte[] p : pages) {
      c.sendKind(ChatProtocol.AUDIO, p);
    }
    ChatServerTest.waitFor(() -> decoded(c).length >= frames * 1920, 30_000);
    c.socket.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "bye").join();
    assertThat(c.ofKind(ChatProtocol.ERROR)).isEmpty();
    String meta = new String(c.ofKind(ChatProtocol.METADATA).get(0), 1, 0, StandardCharsets.UTF_8);
    float[] pcm = decoded(c);
    assertThat(pcm.length).isGreaterThanOrEqualTo(frames * 1920);
    return Arrays.copyOf(pcm, frames * 1920);
  }

  static float[] decoded(ChatServerTest.Client c) {
    ByteArrayOutputStream unused = new ByteArrayOutputStream();
    List<Float> out = new ArrayList<>();
    OggOpusReader r =
        new OggOpusReader(
            24000,
            (x, off, len) -> {
              for (int i = 0; i < len; i++) {
                out.add(x[off + i]);
              }
            });
    try {
      for (byte[] m : c.ofKind(ChatProtocol.AUDIO)) {
        r.feed(m, 1, m.length - 1);
      }
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    float[] v = new float[out.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = out.get(i);
    }
    return v;
  }

  @Test
  void aPromptedSessionSoundsDifferentFromAnUnpromptedOneWithTheSameSeed() throws Exception {
    String prompt = URLEncoder.encode("You are a calm robot.", StandardCharsets.UTF_8);
    float[] prompted = firstAudio("?text_prompt=" + prompt + "&voice_prompt=calm&text_seed=7", 4);
    float[] plain = firstAudio("?text_seed=7", 4);
    // Named as PersonaPlex's web client names it: calm.pt is calm.wav.
    float[] again = firstAudio("?text_prompt=" + prompt + "&voice_prompt=calm.pt&text_seed=7", 4);
    assertThat(prompted).isNotEqualTo(plain);
    assertThat(again).as("same prompt and seed: same audio").isEqualTo(prompted);
  }

  @Test
  void anUnknownVoiceIsRefusedWithTheVoicesThereAre() {
    assertThat(refusal("?voice_prompt=nobody")).contains("unknown voice prompt 'nobody'", "calm");
  }

  @Test
  void aVoiceThatIsOnlyAPtEmbeddingIsRefusedAsSuch() {
    assertThat(refusal("?voice_prompt=old.pt")).contains("'old.pt'", ".pt embedding", "calm");
  }

  @Test
  void aVoiceThatIsNotAudioIsRefused() {
    assertThat(refusal("?voice_prompt=broken")).contains("voice prompt");
  }

  @Test
  void anOverlongTextPromptIsRefused() {
    assertThat(refusal("?text_prompt=" + "a".repeat(5000))).contains("text prompt too long");
  }

  private static String refusal(String query) {
    Throwable t =
        org.assertj.core.api.Assertions.catchThrowable(
            () ->
                ChatServerTest.HTTP
                    .newWebSocketBuilder()
                    .header("Authorization", "Bearer secret-key")
                    .buildAsync(
                        URI.create("ws://127.0.0.1:" + server.port() + "/api/chat" + query),
                        new ChatServerTest.Client())
                    .join());
    assertThat(t).isInstanceOf(CompletionException.class);
    assertThat(t.getCause()).isInstanceOf(WebSocketHandshakeException.class);
    var response = ((WebSocketHandshakeException) t.getCause()).getResponse();
    assertThat(response.statusCode()).isEqualTo(400);
    Object body = response.body();
    return body instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(body);
  }
}
