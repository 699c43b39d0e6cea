package dev.parley.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.codec.opus.OggOpusReader;
import dev.parley.codec.opus.OggOpusWriter;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ApiKeys;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.wire.ChatProtocol;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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

/** A real server on a loopback port and real WebSocket clients (java.net.http). */
class ChatServerTest {
  static SpeechModel model;
  static ParleyServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    model = DemoModel.build(Device.cpu());
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
  }

  @AfterAll
  static void stop() {
    server.close();
    model.close();
  }

  /** Messages as the client received them: kind byte + payload. */
  static final class Client implements WebSocket.Listener {
    final List<byte[]> messages = new CopyOnWriteArrayList<>();
    final CompletableFuture<String> closed = new CompletableFuture<>();
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    WebSocket socket;

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      byte[] b = new byte[data.remaining()];
      data.get(b);
      partial.write(b, 0, b.length);
      if (last) {
        messages.add(partial.toByteArray());
        partial.reset();
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
      closed.complete(status + " " + reason);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.complete("error " + error);
    }

    List<byte[]> ofKind(int kind) {
      List<byte[]> out = new ArrayList<>();
      for (byte[] m : messages) {
        if (m.length > 0 && m[0] == kind) {
          out.add(m);
        }
      }
      return out;
    }

    void sendKind(int kind, byte[] payload) {
      byte[] m = new byte[payload.length + 1];
      m[0] = (byte) kind;
      System.arraycopy(payload, 0, m, 1, payload.length);
      socket.sendBinary(ByteBuffer.wrap(m), true).join();
    }
  }

  static Client connect(String query) {
    Client c = new Client();
    c.socket =
        HTTP.newWebSocketBuilder()
            .header("Authorization", "Bearer secret-key")
            .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/api/chat" + query), c)
            .join();
    return c;
  }

  static void waitFor(java.util.function.BooleanSupplier cond, long millis)
      throws InterruptedException {
    long end = System.currentTimeMillis() + millis;
    while (!cond.getAsBoolean() && System.currentTimeMillis() < end) {
      Thread.sleep(20);
    }
  }

  /** Waits until no engine step has run for 200 ms. */
  static void waitForIdleEngine() throws InterruptedException {
    long end = System.currentTimeMillis() + 15_000;
    long steps;
    do {
      steps = server.engine().steps();
      Thread.sleep(200);
    } while (server.engine().steps() != steps && System.currentTimeMillis() < end);
  }

  /** 24 kHz test signal: a voiced-like tone with a syllable envelope. */
  static float[] signal(double seconds) {
    float[] pcm = new float[(int) (seconds * 24000)];
    for (int i = 0; i < pcm.length; i++) {
      double env = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * i / 24000.0);
      pcm[i] = (float) (0.3 * env * Math.sin(2 * Math.PI * 180 * i / 24000.0));
    }
    return pcm;
  }

  /**
   * The schema Kyutai's web client checks metadata against before it shows the server panel
   * (client/src/pages/Conversation/hooks/useServerInfo.ts, a zod object: extra keys allowed).
   */
  static void assertSatisfiesKyutaiWebClientSchema(com.fasterxml.jackson.databind.JsonNode m) {
    for (String number :
        List.of(
            "text_temperature",
            "text_topk",
            "audio_temperature",
            "audio_topk",
            "pad_mult",
            "repetition_penalty_context",
            "repetition_penalty")) {
      assertThat(m.path(number).isNumber()).as(number + " is a number").isTrue();
    }
    for (String string : List.of("lm_model_file", "instance_name")) {
      assertThat(m.path(string).isTextual()).as(string + " is a string").isTrue();
    }
    for (String string :
        List.of(
            "build_timestamp",
            "build_date",
            "git_branch",
            "git_timestamp",
            "git_date",
            "git_hash",
            "git_describe",
            "rustc_host_triple",
            "rustc_version",
            "cargo_target_triple")) {
      assertThat(m.path("build_info").path(string).isTextual())
          .as("build_info." + string + " is a string")
          .isTrue();
    }
  }

  /** A counter's value from the server's Prometheus exposition. */
  static double metric(String name) throws Exception {
    for (String line : get("http://127.0.0.1:" + server.port() + "/metrics").body().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError(name + " not in /metrics");
  }

  @Test
  void aRealTimeClientGetsHandshakeMetadataAndAnOggOpusStreamBack() throws Exception {
    double bytesIn0 = metric("parley_bytes_in_bytes_total");
    double bytesOut0 = metric("parley_bytes_out_bytes_total");
    Client c =
        connect(
            "?text_temperature=0.7&text_topk=25&audio_temperature=0.8&audio_topk=250&pad_mult=0"
                + "&text_seed=4&audio_seed=5&repetition_penalty=1&repetition_penalty_context=64");
    waitFor(() -> c.messages.size() >= 2, 5000);
    assertThat(c.messages.get(0)[0])
        .as("the server speaks first: handshake")
        .isEqualTo(ChatProtocol.HANDSHAKE);
    String meta =
        new String(c.messages.get(1), 1, c.messages.get(1).length - 1, StandardCharsets.UTF_8);
    assertThat(c.messages.get(1)[0]).isEqualTo(ChatProtocol.METADATA);
    assertThat(meta).contains("\"model\":\"demo\"", "\"seed\":4", "repetition_penalty");
    assertSatisfiesKyutaiWebClientSchema(
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(meta));
    // Stream 2 s as the web client does: each Ogg page in its own message, in real time.
    float[] pcm = signal(2.0);
    List<byte[]> pages = new ArrayList<>();
    try (OggOpusWriter w = new OggOpusWriter(OggOpusWriter.Options.speech24k(), pages::add)) {
      w.write(pcm);
    }
    long t0 = System.nanoTime();
    for (int i = 0; i < pages.size(); i++) {
      c.sendKind(ChatProtocol.AUDIO, pages.get(i));
      long due = t0 + (long) (i * 80e6);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000);
      }
    }
    // 25 input frames → 24 output frames (the first step fills the acoustic delay).
    waitFor(() -> decodedSamples(c) >= 24 * 1920 - 2000, 10_000);
    c.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
    int samples = decodedSamples(c);
    // 24 frames were produced; a live Ogg stream holds back the last partial page and the
    // encoder's look-ahead, so up to about two frames' worth is still in flight at close.
    assertThat(samples).isBetween(22 * 1920, 24 * 1920);
    assertThat(c.ofKind(ChatProtocol.ERROR)).isEmpty();
    waitFor(() -> server.engine().activeSessions() == 0, 15_000);
    assertThat(server.engine().activeSessions()).isZero();
    // The byte counters count whole WebSocket payloads (kind byte included), both ways.
    long sent = pages.stream().mapToLong(p -> p.length + 1).sum();
    long received = c.messages.stream().mapToLong(m -> m.length).sum();
    assertThat(metric("parley_bytes_in_bytes_total") - bytesIn0).isEqualTo(sent);
    assertThat(metric("parley_bytes_out_bytes_total") - bytesOut0)
        .isGreaterThanOrEqualTo(received)
        .isLessThan(received + 4096); // at most what was still in flight at close
  }

  @Test
  void espeakSpeechInRealTimeComesBackAsAnOggStreamOpusdecDecodes(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    dev.parley.codec.testing.ExternalTools.require("opusdec", "opus-tools");
    java.nio.file.Path wav =
        dev.parley.codec.testing.ExternalTools.speechWav(
            dir, "Hello Parley, this is a real time test of the chat server.", 24000);
    float[] speech = dev.parley.codec.wav.WavReader.read(wav).samples();
    Client c = connect("");
    waitFor(() -> c.messages.size() >= 2, 5000);
    List<byte[]> pages = new ArrayList<>();
    try (OggOpusWriter w = new OggOpusWriter(OggOpusWriter.Options.speech24k(), pages::add)) {
      w.write(speech);
    }
    long t0 = System.nanoTime();
    for (int i = 0; i < pages.size(); i++) {
      c.sendKind(ChatProtocol.AUDIO, pages.get(i));
      long wait = t0 + (long) (i * 80e6) - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000);
      }
    }
    int frames = speech.length / 1920;
    waitFor(() -> decodedSamples(c) >= (frames - 3) * 1920, 10_000);
    c.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
    java.io.ByteArrayOutputStream ogg = new java.io.ByteArrayOutputStream();
    for (byte[] m : c.ofKind(ChatProtocol.AUDIO)) {
      ogg.write(m, 1, m.length - 1);
    }
    java.nio.file.Path opus = dir.resolve("reply.opus");
    java.nio.file.Files.write(opus, ogg.toByteArray());
    java.nio.file.Path back = dir.resolve("reply.wav");
    dev.parley.codec.testing.ExternalTools.run(
        "opusdec", "--rate", "24000", "--float", opus.toString(), back.toString());
    double seconds = dev.parley.codec.wav.WavReader.read(back).durationSeconds();
    double input = speech.length / 24000.0;
    // One frame of acoustic delay, the partial last input frame, and the live stream's last page.
    assertThat(seconds).isBetween(input - 0.4, input);
    assertThat(c.ofKind(ChatProtocol.ERROR)).isEmpty();
  }

  /** Decodes every audio message received so far as one Ogg Opus stream. */
  static int decodedSamples(Client c) {
    int[] n = {0};
    OggOpusReader r = new OggOpusReader(24000, (x, off, len) -> n[0] += len);
    try {
      for (byte[] m : c.ofKind(ChatProtocol.AUDIO)) {
        r.feed(m, 1, m.length - 1);
      }
    } catch (Exception e) {
      throw new AssertionError("the audio messages are not one Ogg Opus stream", e);
    }
    return n[0];
  }

  @Test
  void garbageAudioGetsAClearErrorAndOthersContinue() throws Exception {
    Client good = connect("");
    Client bad = connect("");
    waitFor(() -> good.messages.size() >= 2 && bad.messages.size() >= 2, 5000);
    bad.sendKind(0x42, new byte[] {1, 2, 3}); // unknown kind: ignored
    bad.socket.sendText("hello", true).join(); // text frame: error message, session goes on
    waitFor(() -> !bad.ofKind(ChatProtocol.ERROR).isEmpty(), 5000);
    assertThat(new String(bad.ofKind(ChatProtocol.ERROR).get(0), StandardCharsets.UTF_8))
        .contains("text frames");
    bad.sendKind(
        ChatProtocol.AUDIO, "this is not an ogg page at all".getBytes(StandardCharsets.UTF_8));
    assertThat(bad.closed.get(5, TimeUnit.SECONDS)).isNotNull();
    assertThat(
            new String(
                bad.ofKind(ChatProtocol.ERROR).get(bad.ofKind(ChatProtocol.ERROR).size() - 1),
                StandardCharsets.UTF_8))
        .contains("undecodable audio");
    List<byte[]> pages = new ArrayList<>();
    try (OggOpusWriter w = new OggOpusWriter(OggOpusWriter.Options.speech24k(), pages::add)) {
      w.write(signal(0.8));
    }
    for (byte[] p : pages) {
      good.sendKind(ChatProtocol.AUDIO, p);
    }
    waitFor(() -> decodedSamples(good) > 0, 10_000);
    assertThat(decodedSamples(good)).isPositive();
    assertThat(good.closed).isNotDone();
    good.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
    waitFor(() -> server.engine().activeSessions() == 0, 15_000);
  }

  @Test
  void anOversizedMessageClosesOnlyThatClient() throws Exception {
    Client big = connect("");
    waitFor(() -> big.messages.size() >= 2, 5000);
    byte[] huge = new byte[2 << 20]; // 2 MiB, over the 1 MiB limit
    try {
      big.sendKind(ChatProtocol.AUDIO, huge);
    } catch (CompletionException e) {
      // the server may close before the client finished writing
    }
    assertThat(big.closed.get(10, TimeUnit.SECONDS)).containsAnyOf("1009", "error", "1008");
    waitFor(() -> server.engine().activeSessions() == 0, 15_000);
    assertThat(server.engine().activeSessions()).isZero();
  }

  @Test
  void oneSessionTooManyHearsServerFull() throws Exception {
    Client a = connect("");
    Client b = connect("");
    waitFor(() -> a.messages.size() >= 2 && b.messages.size() >= 2, 5000);
    Client c = connect("");
    assertThat(c.closed.get(5, TimeUnit.SECONDS)).isNotNull();
    assertThat(c.ofKind(ChatProtocol.HANDSHAKE)).isEmpty();
    assertThat(new String(c.ofKind(ChatProtocol.ERROR).get(0), StandardCharsets.UTF_8))
        .contains("server full");
    a.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
    b.socket.abort(); // an abrupt disconnect frees its slot too
    waitFor(() -> server.engine().activeSessions() == 0, 15_000);
    assertThat(server.engine().activeSessions()).isZero();
  }

  @Test
  void aWrongApiKeyIsRefusedBeforeTheUpgrade() throws Exception {
    Client c = new Client();
    CompletableFuture<WebSocket> ws =
        HTTP.newWebSocketBuilder()
            .header("kyutai-api-key", "wrong")
            .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/api/chat"), c);
    try {
      ws.join();
      throw new AssertionError("connected with a wrong key");
    } catch (CompletionException e) {
      assertThat(e.getCause()).isInstanceOf(java.net.http.WebSocketHandshakeException.class);
      assertThat(
              ((java.net.http.WebSocketHandshakeException) e.getCause()).getResponse().statusCode())
          .isEqualTo(401);
    }
    Client ok = new Client();
    ok.socket =
        HTTP.newWebSocketBuilder()
            .buildAsync(
                URI.create("ws://127.0.0.1:" + server.port() + "/api/chat?auth_id=secret-key"), ok)
            .join();
    waitFor(() -> !ok.messages.isEmpty(), 5000);
    assertThat(ok.messages.get(0)[0]).isEqualTo(ChatProtocol.HANDSHAKE);
    ok.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
  }

  @Test
  void twoHundredAbruptDisconnectsLeaveNothingBehind() throws Exception {
    List<byte[]> pages = new ArrayList<>();
    try (OggOpusWriter w = new OggOpusWriter(OggOpusWriter.Options.speech24k(), pages::add)) {
      w.write(signal(0.4));
    }
    long rssBefore = 0;
    long heapBefore = 0;
    int arraysBefore = 0;
    for (int i = 0; i < 200; i++) {
      // The server notices a dropped connection asynchronously; with 2 slots, wait for one to free.
      waitFor(() -> server.engine().activeSessions() < 2, 15_000);
      Client c = connect("");
      waitFor(() -> c.messages.size() >= 2, 5000);
      // Headers and part of the audio, then the connection just drops (mid-frame for odd i).
      for (int p = 0; p < (i % 2 == 0 ? pages.size() : 2); p++) {
        c.sendKind(ChatProtocol.AUDIO, pages.get(p));
      }
      c.socket.abort();
      if (i == 99) {
        waitFor(() -> server.engine().activeSessions() == 0, 15_000);
        waitForIdleEngine(); // a step may still run after its sessions left; its arrays are
        // transient
        rssBefore = rssKb();
        heapBefore = Runtime.getRuntime().totalMemory() / 1024;
        arraysBefore = model.manager().getManagedArrays().size();
      }
    }
    waitFor(() -> server.engine().activeSessions() == 0, 15_000);
    waitForIdleEngine();
    assertThat(server.engine().activeSessions()).isZero();
    assertThat(server.metrics().activeSessions()).isZero();
    assertThat(get("http://127.0.0.1:" + server.port() + "/metrics").body())
        .contains("parley_sessions_active 0.0");
    // Tensors: exactly as many as before (a session's state is a fixed slot, nothing stays).
    assertThat(model.manager().getManagedArrays().size()).isEqualTo(arraysBefore);
    // Resident memory over the last 100 sessions, after the first 100 warmed up Netty's and the
    // HTTP client's buffer pools (client and server share this JVM): flat within a few MiB.
    long heapGrowth = Math.max(0, Runtime.getRuntime().totalMemory() / 1024 - heapBefore);
    assertThat(rssKb() - rssBefore - heapGrowth)
        .as("native growth over 100 sessions (kB)")
        .isLessThan(32 * 1024);
  }

  static long rssKb() throws java.io.IOException {
    for (String line :
        java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return 0;
  }

  @Test
  void httpEndpointsAnswer() throws Exception {
    String base = "http://127.0.0.1:" + server.port();
    assertThat(get(base + "/healthz").statusCode()).isEqualTo(200);
    assertThat(get(base + "/readyz").body()).contains("ready");
    assertThat(get(base + "/api/info").body()).contains("\"model\":\"demo\"", "\"max_sessions\":2");
    assertThat(get(base + "/metrics").body())
        .contains(
            "parley_sessions_active",
            "parley_stage_lm_seconds",
            "parley_stage_audio_in_seconds",
            "parley_stage_audio_out_seconds",
            "parley_frame_overhead_seconds",
            "parley_deadline_misses_total",
            "parley_prompt_cache_hits_total",
            "jvm_memory_used_bytes");
    assertThat(get(base + "/nope").statusCode()).isEqualTo(404);
  }

  /** A GET with this server's key (/metrics and /api/info need it when keys are on). */
  static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Authorization", "Bearer secret-key")
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static com.fasterxml.jackson.databind.JsonNode getJson(String path) throws Exception {
    java.net.http.HttpResponse<String> r =
        HTTP.send(
            java.net.http.HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer secret-key")
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
  }

  /** The demo is a Moshi model: it takes prompts as an experiment, and says so. */
  @Test
  void infoAndPromptVoicesSayPromptsAreExperimental() throws Exception {
    for (var p :
        new com.fasterxml.jackson.databind.JsonNode[] {
          getJson("/api/prompt_voices"), getJson("/api/info").get("prompts")
        }) {
      assertThat(p.get("accepts_prompts").asBoolean()).isTrue();
      assertThat(p.get("prompts").get("text").asBoolean()).isTrue();
      assertThat(p.get("prompts").get("voice").asBoolean()).isTrue();
      assertThat(p.get("prompts").get("experimental").asBoolean()).isTrue();
    }
  }

  @Test
  void aTextPromptedSessionSoundsDifferentFromAnUnpromptedOneWithTheSameSeed() throws Exception {
    String prompt = java.net.URLEncoder.encode("You are a pirate.", StandardCharsets.UTF_8);
    // The handshake comes once the prefill is done, then the conversation's audio.
    float[] prompted =
        PromptedChatTest.firstAudio(server, "?text_prompt=" + prompt + "&text_seed=7", 4);
    float[] plain = PromptedChatTest.firstAudio(server, "?text_seed=7", 4);
    float[] again =
        PromptedChatTest.firstAudio(server, "?text_prompt=" + prompt + "&text_seed=7", 4);
    assertThat(prompted).isNotEqualTo(plain);
    assertThat(again).as("same prompt and seed: same audio").isEqualTo(prompted);
  }
}
