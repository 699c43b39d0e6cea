package dev.parley.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.codec.opus.OggOpusWriter;
import dev.parley.proto.v1.ListModelsRequest;
import dev.parley.proto.v1.ModelsGrpc;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ApiKeys;
import dev.parley.server.config.HttpLimits;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.tts.SynthesisModel;
import dev.parley.server.wire.AsrMessages;
import dev.parley.server.wire.ChatProtocol;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile client against a real server on loopback (dialogue, transcription and speech models,
 * API keys on, a static folder): raw sockets send what a client library would refuse to (broken
 * requests, oversized heads, bodies without a key, bad WebSocket frames); each gets its answer, and
 * afterwards a normal session of each kind still works and every gauge is back at zero.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileClientTest {
  static final String KEY = "hostile-test-key";
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
  static final AtomicInteger TRIED = new AtomicInteger();
  static final AtomicInteger ANSWERED = new AtomicInteger();

  @TempDir static Path dir;
  static SpeechModel dialogue;
  static SpeechModel stt;
  static SynthesisModel tts;
  static ParleyServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    Path web = Files.createDirectories(dir.resolve("web"));
    Files.writeString(web.resolve("index.html"), "<p>hello</p>");
    Path secret = Files.writeString(dir.resolve("secret.txt"), "not for the web");
    Files.createSymbolicLink(web.resolve("leak.txt"), secret);
    Files.createSymbolicLink(web.resolve("inside.html"), web.resolve("index.html"));
    dialogue = DemoModel.build(Device.cpu());
    stt = DemoModel.buildStt(Device.cpu());
    tts = SynthesisModel.demo(Device.cpu());
    server =
        new ParleyServer(
                dialogue,
                stt,
                tts,
                ServerConfig.builder()
                    .host("127.0.0.1")
                    .port(0)
                    .grpcPort(0)
                    .maxSessions(4)
                    .staticDir(web)
                    .apiKeys(new ApiKeys(Set.of(KEY)))
                    .httpLimits(HttpLimits.defaults().withRequestTimeout(REQUEST_TIMEOUT))
                    .build())
            .start();
  }

  @AfterAll
  static void stop() {
    System.out.printf(
        "hostile client: %d malformed or refused inputs tried, %d got their answer%n",
        TRIED.get(), ANSWERED.get());
    server.close();
    dialogue.close();
    stt.close();
    tts.close();
  }

  // ---- raw HTTP --------------------------------------------------------------------------------

  /** What came back on a raw connection: the status, the whole text, whether the server closed. */
  record Answer(int status, String text) {}

  /**
   * Sends {@code request} (as much of it as the server takes) and reads until the server closes.
   */
  static Answer exchange(byte[] request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(30_000);
      try {
        OutputStream out = s.getOutputStream();
        out.write(request);
        out.flush();
      } catch (IOException e) {
        // the server answered and closed before taking it all: read the answer below
      }
      return read(s.getInputStream());
    }
  }

  static Answer read(InputStream in) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      for (int n; (n = in.read(buf)) >= 0; ) {
        got.write(buf, 0, n);
      }
    } catch (java.net.SocketException e) {
      // a reset after the answer: what was read counts
    }
    String text = got.toString(StandardCharsets.ISO_8859_1);
    int status = text.startsWith("HTTP/1.1 ") ? Integer.parseInt(text.substring(9, 12)) : -1;
    return new Answer(status, text);
  }

  static Answer exchange(String request) throws IOException {
    return exchange(request.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** A hostile request and the status it must get. */
  static void expect(int status, String request) throws IOException {
    expect(status, request.getBytes(StandardCharsets.ISO_8859_1));
  }

  static void expect(int status, byte[] request) throws IOException {
    TRIED.incrementAndGet();
    Answer a = exchange(request);
    assertThat(a.status())
        .as("answer to %s", new String(request, 0, Math.min(60, request.length)))
        .isEqualTo(status);
    ANSWERED.incrementAndGet();
  }

  static String head(String line, String... headers) {
    StringBuilder b = new StringBuilder(line).append("\r\nHost: 127.0.0.1\r\n");
    for (String h : headers) {
      b.append(h).append("\r\n");
    }
    return b.append("\r\n").toString();
  }

  static final String WITH_KEY = "Authorization: Bearer " + KEY;

  @Test
  @Order(1)
  void brokenRequestsGetTheirStatusAndTheConnectionCloses() throws Exception {
    expect(431, head("GET /healthz HTTP/1.1", "X-Big: " + "a".repeat(64 << 10)));
    String[] many = new String[10_000];
    for (int i = 0; i < many.length; i++) {
      many[i] = "X-H" + i + ": v";
    }
    expect(431, head("GET /healthz HTTP/1.1", many));
    expect(414, head("GET /" + "a".repeat(64 << 10) + " HTTP/1.1"));
    expect(414, head("GET /api/chat?auth_id=" + "k".repeat(100 << 10) + " HTTP/1.1"));
    expect(400, "\u00ff\u00fe garbage that is not HTTP at all\r\n\r\n");
    expect(505, head("GET /healthz HTTP/7.3"));
    expect(400, "GET /\r\n\r\n"); // HTTP/0.9
    expect(
        400,
        head(
            "POST /api/tts HTTP/1.1",
            WITH_KEY,
            "Content-Type: application/json",
            "Content-Length: twelve"));
    expect(
        400,
        head("POST /api/tts HTTP/1.1", WITH_KEY, "Content-Length: 10", "Content-Length: 12")
            + "{\"text\":\"a\"}");
    expect(
        400,
        head("POST /api/tts HTTP/1.1", WITH_KEY, "Transfer-Encoding: chunked")
            + "zz\r\n{\"text\":\"a\"}\r\n0\r\n\r\n");
    // A TLS ClientHello on the plain port.
    byte[] hello = new byte[300];
    Arrays.fill(hello, (byte) 0x41);
    byte[] record = {0x16, 0x03, 0x01, 0x01, 0x27, 0x01, 0x00, 0x01, 0x23, 0x03, 0x03};
    System.arraycopy(record, 0, hello, 0, record.length);
    hello[hello.length - 2] = '\r';
    hello[hello.length - 1] = '\n';
    TRIED.incrementAndGet();
    assertThat(exchange(hello).status()).as("a TLS ClientHello").isIn(400, 414);
    ANSWERED.incrementAndGet();
    assertThat(server.pendingConnections()).isZero();
  }

  @Test
  @Order(2)
  void theKeyIsCheckedFromTheHeadBeforeAnyBodyIsRead() throws Exception {
    // 20 MB announced, nothing sent: the refusal comes before the body (and closes).
    expect(401, head("POST /api/asr-streaming HTTP/1.1", "Content-Length: 20000000"));
    expect(401, head("POST /api/asr-streaming?auth_id=wrong HTTP/1.1", "Content-Length: 20000000"));
    expect(
        401,
        head(
            "GET /api/chat HTTP/1.1",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13"));
    expect(401, head("GET /metrics HTTP/1.1"));
    expect(401, head("GET /api/info HTTP/1.1"));
    expect(401, head("GET /v1/anything HTTP/1.1"));
    // With the key, past the route's limit: 413 before the body.
    expect(
        413, head("POST /api/asr-streaming HTTP/1.1", WITH_KEY, "Content-Length: " + (30 << 20)));
    expect(413, head("POST /healthz HTTP/1.1", "Content-Length: " + (1 << 20)));
    // A chunked body that grows past the TTS route's 1 MiB.
    StringBuilder chunked =
        new StringBuilder(head("POST /api/tts HTTP/1.1", WITH_KEY, "Transfer-Encoding: chunked"));
    String chunk = "x".repeat(64 << 10);
    for (int i = 0; i < 17; i++) { // just past the limit: the refusal comes as the body ends
      chunked
          .append(Integer.toHexString(chunk.length()))
          .append("\r\n")
          .append(chunk)
          .append("\r\n");
    }
    expect(413, chunked.append("0\r\n\r\n").toString());
    // Key-only routes answer with the key.
    HttpResponse<String> metrics = get("/metrics", true);
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(get("/api/info", true).body()).contains("\"auth\":\"api-key\"");
    assertThat(get("/healthz", false).statusCode()).isEqualTo(200);
    assertThat(get("/readyz", false).statusCode()).isEqualTo(200);
  }

  @Test
  @Order(3)
  void aStalledBodyAndASilentConnectionAreClosedWith408() throws Exception {
    TRIED.incrementAndGet();
    Answer stalled =
        exchange(
            head("POST /api/tts HTTP/1.1", WITH_KEY, "Content-Length: 1000") + "{\"text\": \"");
    assertThat(stalled.status()).isEqualTo(408);
    assertThat(stalled.text()).contains("body stalled");
    ANSWERED.incrementAndGet();
    TRIED.incrementAndGet();
    Answer partial = exchange("GET /healthz HTTP/1.1\r\nHost: 127.0");
    assertThat(partial.status()).isEqualTo(408);
    ANSWERED.incrementAndGet();
    // Silent: closed once the timeout passes, with nothing to answer.
    assertThat(exchange(new byte[0]).text()).as("silent").isEmpty();
    // A keep-alive connection: the request is answered, the idle connection then closed.
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(30_000);
      s.getOutputStream()
          .write(head("GET /healthz HTTP/1.1").getBytes(StandardCharsets.ISO_8859_1));
      Answer a = read(s.getInputStream());
      assertThat(a.text()).startsWith("HTTP/1.1 200").doesNotContain("HTTP/1.1 408");
    }
  }

  @Test
  @Order(4)
  void staticFilesStayUnderTheRoot() throws Exception {
    expect(400, head("GET /a%00b HTTP/1.1", "Connection: close"));
    expect(400, head("GET /a%0Ab HTTP/1.1", "Connection: close"));
    expect(404, head("GET /leak.txt HTTP/1.1", "Connection: close"));
    expect(404, head("GET /../secret.txt HTTP/1.1", "Connection: close"));
    expect(404, head("GET /%2e%2e/secret.txt HTTP/1.1", "Connection: close"));
    assertThat(get("/", false).body()).isEqualTo("<p>hello</p>");
    assertThat(get("/inside.html", false).body()).as("a link inside the root").contains("hello");
  }

  @Test
  @Order(5)
  void costlyOrNonFiniteRequestsAreRefusedUpFrontWithTheLimit() throws Exception {
    // A float WAV full of NaN, written by hand (RIFF, WAVE_FORMAT_IEEE_FLOAT).
    int n = 24000;
    ByteBuffer wav = ByteBuffer.allocate(44 + 4 * n).order(ByteOrder.LITTLE_ENDIAN);
    wav.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + 4 * n);
    wav.put("WAVEfmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16);
    wav.putShort((short) 3).putShort((short) 1).putInt(24000).putInt(24000 * 4);
    wav.putShort((short) 4).putShort((short) 32);
    wav.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(4 * n);
    for (int i = 0; i < n; i++) {
      wav.putFloat(Float.NaN);
    }
    HttpResponse<String> nan = post("/api/asr-streaming", wav.array());
    assertThat(nan.statusCode()).isEqualTo(400);
    assertThat(nan.body()).contains("NaN", "finite");
    StringBuilder turns = new StringBuilder("{\"text\": [");
    for (int i = 0; i < SpeechRoutes.MAX_TURNS + 1; i++) {
      turns.append(i == 0 ? "" : ",").append("\"hi\"");
    }
    HttpResponse<String> many =
        post("/api/tts", turns.append("]}").toString().getBytes(StandardCharsets.UTF_8));
    assertThat(many.statusCode()).isEqualTo(400);
    assertThat(many.body()).contains("at most " + SpeechRoutes.MAX_TURNS);
    int max = server.ttsEngine().settings().maxTextChars();
    if (max < 500_000) {
      HttpResponse<String> longText =
          post(
              "/api/tts",
              ("{\"text\": \"" + "a ".repeat(max / 2 + 1) + "\"}")
                  .getBytes(StandardCharsets.UTF_8));
      assertThat(longText.statusCode()).isEqualTo(400);
      assertThat(longText.body()).contains(String.valueOf(max));
    }
    TRIED.addAndGet(3);
    ANSWERED.addAndGet(3);
  }

  // ---- WebSocket frames ------------------------------------------------------------------------

  @Test
  @Order(6)
  void fragmentedMessagesAreWholeOnEveryRoute() throws Exception {
    // /api/chat: every Ogg page split into a first frame and a continuation.
    ChatServerTest.Client chat = new ChatServerTest.Client();
    chat.socket =
        HTTP.newWebSocketBuilder()
            .header("Authorization", "Bearer " + KEY)
            .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/api/chat"), chat)
            .join();
    ChatServerTest.waitFor(() -> chat.messages.size() >= 2, 30_000);
    List<byte[]> pages = new ArrayList<>();
    try (OggOpusWriter w = new OggOpusWriter(OggOpusWriter.Options.speech24k(), pages::add)) {
      w.write(ChatServerTest.signal(1.0));
    }
    for (byte[] page : pages) {
      byte[] m = new byte[page.length + 1];
      m[0] = ChatProtocol.AUDIO;
      System.arraycopy(page, 0, m, 1, page.length);
      int cut = Math.max(1, m.length / 3);
      chat.socket.sendBinary(ByteBuffer.wrap(m, 0, cut), false).join();
      chat.socket.sendBinary(ByteBuffer.wrap(m, cut, m.length - cut), true).join();
    }
    ChatServerTest.waitFor(() -> ChatServerTest.decodedSamples(chat) >= 5 * 1920, 60_000);
    assertThat(chat.ofKind(ChatProtocol.ERROR)).isEmpty();
    chat.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();

    // /api/asr-streaming: MessagePack maps split in three frames; the marker comes back.
    AsrClient asr = AsrClient.connect("");
    ChatServerTest.waitFor(() -> !asr.messages.isEmpty(), 30_000);
    int delay = server.sttEngine().settings().delayFrames();
    List<AsrMessages.In> in = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      in.add(new AsrMessages.In.Audio(new float[1920]));
    }
    in.add(new AsrMessages.In.Marker(42));
    for (int i = 0; i < delay + 10; i++) {
      in.add(new AsrMessages.In.Audio(new float[1920]));
    }
    for (AsrMessages.In m : in) {
      byte[] b = AsrMessages.encode(m);
      int a = b.length / 3;
      int c = 2 * b.length / 3;
      asr.socket.sendBinary(ByteBuffer.wrap(b, 0, a), false).join();
      asr.socket.sendBinary(ByteBuffer.wrap(b, a, c - a), false).join();
      asr.socket.sendBinary(ByteBuffer.wrap(b, c, b.length - c), true).join();
    }
    ChatServerTest.waitFor(
        () -> asr.messages.stream().anyMatch(AsrMessages.Out.Marker.class::isInstance), 60_000);
    assertThat(asr.messages).noneMatch(AsrMessages.Out.Error.class::isInstance);
    asr.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();

    // /api/tts_streaming: a text message in two frames.
    try (RawWebSocket ws = RawWebSocket.open("/api/tts_streaming?format=PcmMessagePack")) {
      ws.readFrame(); // Ready
      ws.send(0x01, "hello ".getBytes(StandardCharsets.UTF_8)); // text, not final
      ws.send(0x80, "world".getBytes(StandardCharsets.UTF_8)); // final continuation
      ws.send(0x82, new byte[] {0});
      RawWebSocket.Frame f;
      int audio = 0;
      while ((f = ws.readFrame()).opcode() != 0x8) {
        audio += new String(f.payload(), StandardCharsets.ISO_8859_1).contains("Audio") ? 1 : 0;
        assertThat(new String(f.payload(), StandardCharsets.ISO_8859_1)).doesNotContain("Error");
      }
      assertThat(f.closeCode()).isEqualTo(1000);
      assertThat(audio).isPositive();
    }
  }

  @Test
  @Order(7)
  void badFramesAreAnsweredWithTheProtocolErrorThenTheirCloseCode() throws Exception {
    // RSV1 set without a negotiated extension: a protocol error (1002).
    try (RawWebSocket ws = RawWebSocket.open("/api/chat")) {
      ws.readFrame(); // handshake
      ws.send(0x80 | 0x40 | 0x2, new byte[] {1, 2, 3});
      assertClosedWith(ws, 1002, true);
    }
    // Invalid UTF-8 in a text frame: 1007, with the Error message first.
    try (RawWebSocket ws = RawWebSocket.open("/api/tts_streaming?format=PcmMessagePack")) {
      ws.readFrame(); // Ready
      ws.send(0x81, new byte[] {'h', (byte) 0xc3, 0x28});
      assertClosedWith(ws, 1007, true);
    }
    // Invalid UTF-8 split across fragments.
    try (RawWebSocket ws = RawWebSocket.open("/api/asr-streaming")) {
      ws.readFrame(); // Ready
      ws.send(0x01, new byte[] {'a', (byte) 0xe2});
      ws.send(0x80, new byte[] {0x28, (byte) 0xa1});
      assertClosedWith(ws, 1007, true);
    }
    // A continuation with no message begun.
    try (RawWebSocket ws = RawWebSocket.open("/api/asr-streaming")) {
      ws.readFrame();
      ws.send(0x80, new byte[] {1});
      assertClosedWith(ws, 1002, true);
    }
    // A message past the size limit (1 MiB by default), announced in one frame.
    try (RawWebSocket ws = RawWebSocket.open("/api/asr-streaming")) {
      ws.readFrame();
      ws.sendHead(0x82, (1 << 20) + 1); // the length alone is refused
      assertClosedWith(ws, 1009, true);
    }
  }

  static void assertClosedWith(RawWebSocket ws, int code, boolean errorFirst) throws IOException {
    TRIED.incrementAndGet();
    List<RawWebSocket.Frame> before = new ArrayList<>();
    RawWebSocket.Frame f;
    while ((f = ws.readFrame()).opcode() != 0x8) {
      before.add(f);
    }
    assertThat(f.closeCode()).isEqualTo(code);
    if (errorFirst) {
      assertThat(before).as("the protocol's error message before the close").isNotEmpty();
      byte[] last = before.get(before.size() - 1).payload();
      assertThat(
              last[0] == ChatProtocol.ERROR
                  || new String(last, StandardCharsets.ISO_8859_1).contains("Error"))
          .as("the last message before the close is the error")
          .isTrue();
    }
    ANSWERED.incrementAndGet();
  }

  // ---- slowloris -------------------------------------------------------------------------------

  @Test
  @Order(8)
  void slowlorisConnectionsAreClosedWhileHealthAndALiveSessionGoOn() throws Exception {
    ChatServerTest.Client live = new ChatServerTest.Client();
    live.socket =
        HTTP.newWebSocketBuilder()
            .header("Authorization", "Bearer " + KEY)
            .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/api/chat"), live)
            .join();
    ChatServerTest.waitFor(() -> live.messages.size() >= 2, 30_000);
    // 300 connections without a key: half send part of a head, half nothing at all.
    int held = 300;
    long direct0 = StormMemoryTest.directBytes();
    long t0 = System.nanoTime();
    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < held; i++) {
      Socket s = new Socket("127.0.0.1", server.port());
      s.setSoTimeout(60_000);
      if (i % 2 == 0) {
        s.getOutputStream()
            .write(
                "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                    .getBytes(StandardCharsets.ISO_8859_1));
      }
      sockets.add(s);
    }
    // Meanwhile health answers and the live session streams (1 s of audio in real time).
    assertThat(server.pendingConnections()).isGreaterThan(0);
    int healthy = 0;
    List<byte[]> pages = new ArrayList<>();
    try (OggOpusWriter w = new OggOpusWriter(OggOpusWriter.Options.speech24k(), pages::add)) {
      w.write(ChatServerTest.signal(1.0));
    }
    for (byte[] page : pages) {
      live.sendKind(ChatProtocol.AUDIO, page);
      if (get("/healthz", false).statusCode() == 200) {
        healthy++;
      }
      Thread.sleep(80);
    }
    assertThat(healthy).isEqualTo(pages.size());
    long directHeld = StormMemoryTest.directBytes() - direct0;
    ChatServerTest.waitFor(() -> ChatServerTest.decodedSamples(live) >= 5 * 1920, 60_000);
    assertThat(live.ofKind(ChatProtocol.ERROR)).isEmpty();
    // Every held connection is closed by the server: a begun head with 408, a silent one without.
    int timedOut = 0;
    int silentClosed = 0;
    for (int i = 0; i < held; i++) {
      try (Socket s = sockets.get(i)) {
        Answer a = read(s.getInputStream());
        if (i % 2 == 0 && a.status() == 408) {
          timedOut++;
        } else if (i % 2 == 1 && a.text().isEmpty()) {
          silentClosed++;
        }
      }
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.printf(
        "slowloris: %d connections held without a key, %d answered 408, %d silent ones closed, "
            + "all within %d ms of opening (request timeout %d ms); /healthz answered %d of %d "
            + "times meanwhile; Netty direct memory while they were held %+d KiB%n",
        held,
        timedOut,
        silentClosed,
        ms,
        REQUEST_TIMEOUT.toMillis(),
        healthy,
        pages.size(),
        directHeld >> 10);
    assertThat(timedOut).isEqualTo(held / 2);
    assertThat(silentClosed).isEqualTo(held / 2);
    TRIED.addAndGet(held / 2);
    ANSWERED.addAndGet(timedOut);
    live.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
    ChatServerTest.waitFor(() -> server.pendingConnections() == 0, 30_000);
    assertThat(server.pendingConnections()).isZero();
  }

  @Test
  @Order(9)
  void connectionsPastThePendingCapAreRefusedAtOnce() throws Exception {
    try (ParleyServer small =
        new ParleyServer(
                null,
                null,
                tts,
                ServerConfig.builder()
                    .host("127.0.0.1")
                    .port(0)
                    .grpcPort(-1)
                    .apiKeys(new ApiKeys(Set.of(KEY)))
                    .httpLimits(HttpLimits.defaults().withMaxPendingConnections(3))
                    .build())
            .start()) {
      List<Socket> held = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        held.add(new Socket("127.0.0.1", small.port()));
      }
      ChatServerTest.waitFor(() -> small.pendingConnections() == 3, 30_000);
      try (Socket extra = new Socket("127.0.0.1", small.port())) {
        extra.setSoTimeout(30_000);
        TRIED.incrementAndGet();
        assertThat(read(extra.getInputStream()).status()).isEqualTo(503);
        ANSWERED.incrementAndGet();
      }
      for (Socket s : held) {
        s.close();
      }
      ChatServerTest.waitFor(() -> small.pendingConnections() == 0, 30_000);
      HttpResponse<String> health =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + small.port() + "/healthz"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
    }
  }

  @Test
  @Order(10)
  void uploadsTogetherCannotBufferMoreThanTheServersBudget() throws Exception {
    long budget = 3 << 20;
    try (ParleyServer small =
        new ParleyServer(
                null,
                stt,
                null,
                ServerConfig.builder()
                    .host("127.0.0.1")
                    .port(0)
                    .grpcPort(-1)
                    .apiKeys(new ApiKeys(Set.of(KEY)))
                    .httpLimits(HttpLimits.defaults().withMaxUploadBytes(budget))
                    .build())
            .start()) {
      int twoMiB = 2 << 20;
      String upload = "POST /api/asr-streaming HTTP/1.1";
      String key = "Authorization: Bearer " + KEY;
      // An authenticated upload, begun and left unfinished, holds its declared length.
      try (Socket first = new Socket("127.0.0.1", small.port())) {
        first.setSoTimeout(30_000);
        OutputStream out = first.getOutputStream();
        out.write(
            head(upload, key, "Content-Length: " + twoMiB).getBytes(StandardCharsets.ISO_8859_1));
        out.write(new byte[1024]);
        out.flush();
        ChatServerTest.waitFor(() -> small.bufferedUploadBytes() == twoMiB, 30_000);

        // Another 2 MiB would pass the 3 MiB budget: refused from its head, with the reason.
        try (Socket second = new Socket("127.0.0.1", small.port())) {
          second.setSoTimeout(30_000);
          second
              .getOutputStream()
              .write(
                  head(upload, key, "Content-Length: " + twoMiB)
                      .getBytes(StandardCharsets.ISO_8859_1));
          TRIED.incrementAndGet();
          Answer refused = read(second.getInputStream());
          assertThat(refused.status()).isEqualTo(503);
          assertThat(refused.text()).contains("too many uploads at once");
          ANSWERED.incrementAndGet();
        }
        // A chunked upload reserves the route's whole limit (24 MiB): past the budget too.
        try (Socket chunked = new Socket("127.0.0.1", small.port())) {
          chunked.setSoTimeout(30_000);
          chunked
              .getOutputStream()
              .write(
                  head(upload, key, "Transfer-Encoding: chunked")
                      .getBytes(StandardCharsets.ISO_8859_1));
          TRIED.incrementAndGet();
          assertThat(read(chunked.getInputStream()).status()).isEqualTo(503);
          ANSWERED.incrementAndGet();
        }
        // What fits beside it is admitted, read and answered by its route (not audio: 400).
        byte[] small512k = new byte[512 << 10];
        byte[] request =
            head(upload, key, "Content-Length: " + small512k.length, "Connection: close")
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] whole = new byte[request.length + small512k.length];
        System.arraycopy(request, 0, whole, 0, request.length);
        try (Socket fits = new Socket("127.0.0.1", small.port())) {
          fits.setSoTimeout(30_000);
          fits.getOutputStream().write(whole);
          assertThat(read(fits.getInputStream()).status()).isEqualTo(400);
        }
        assertThat(small.bufferedUploadBytes()).isEqualTo(twoMiB);
      }
      // The unfinished upload's connection closed: its reservation is returned.
      ChatServerTest.waitFor(() -> small.bufferedUploadBytes() == 0, 30_000);
      try (Socket again = new Socket("127.0.0.1", small.port())) {
        again.setSoTimeout(30_000);
        OutputStream out = again.getOutputStream();
        out.write(
            head(upload, key, "Content-Length: " + twoMiB, "Connection: close")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(new byte[twoMiB]);
        out.flush();
        assertThat(read(again.getInputStream()).status()).isEqualTo(400);
      }
      ChatServerTest.waitFor(() -> small.bufferedUploadBytes() == 0, 30_000);
    }
  }

  @Test
  @Order(11)
  void connectionsToTheGrpcPortThatNeverSpeakHttp2AreClosed() throws Exception {
    // Silent ones, and ones that speak HTTP/1.1 instead of the HTTP/2 preface.
    int held = 100;
    long t0 = System.nanoTime();
    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < held; i++) {
      Socket s = new Socket("127.0.0.1", server.grpcPort());
      s.setSoTimeout(30_000);
      if (i % 2 == 0) {
        s.getOutputStream()
            .write("GET / HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.ISO_8859_1));
      }
      sockets.add(s);
    }
    int closed = 0;
    for (Socket s : sockets) {
      try (s) {
        read(s.getInputStream()); // until the server closes: a SocketTimeoutException fails
        closed++;
      }
    }
    System.out.printf(
        "gRPC port: %d connections without the HTTP/2 preface, %d closed by the server within %d ms"
            + " (request timeout %d ms)%n",
        held, closed, (System.nanoTime() - t0) / 1_000_000, REQUEST_TIMEOUT.toMillis());
    assertThat(closed).isEqualTo(held);
    TRIED.addAndGet(held);
    ANSWERED.addAndGet(closed);
  }

  // ---- afterwards ------------------------------------------------------------------------------

  @Test
  @Order(100)
  void afterwardsNormalSessionsWorkAndTheGaugesAreZero() throws Exception {
    ChatServerTest.Client chat = new ChatServerTest.Client();
    chat.socket =
        HTTP.newWebSocketBuilder()
            .header("Authorization", "Bearer " + KEY)
            .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/api/chat"), chat)
            .join();
    ChatServerTest.waitFor(() -> chat.messages.size() >= 2, 30_000);
    assertThat(chat.messages.get(0)[0]).isEqualTo(ChatProtocol.HANDSHAKE);
    chat.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();

    AsrClient asr = AsrClient.connect("");
    ChatServerTest.waitFor(() -> !asr.messages.isEmpty(), 30_000);
    assertThat(asr.messages.get(0)).isInstanceOf(AsrMessages.Out.Ready.class);
    asr.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();

    HttpResponse<String> speech =
        post("/api/tts", "{\"text\": \"hello\"}".getBytes(StandardCharsets.UTF_8));
    assertThat(speech.statusCode()).isEqualTo(200);

    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
    try {
      Metadata auth = new Metadata();
      auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + KEY);
      assertThat(
              ModelsGrpc.newBlockingStub(channel)
                  .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth))
                  .list(ListModelsRequest.getDefaultInstance())
                  .getModelsCount())
          .isEqualTo(3);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    ChatServerTest.waitFor(
        () -> server.activeSessions() == 0 && server.pendingConnections() == 0, 30_000);
    assertThat(server.activeSessions()).isZero();
    assertThat(server.pendingConnections()).isZero();
    assertThat(ANSWERED.get()).isEqualTo(TRIED.get());
  }

  // ---- clients ---------------------------------------------------------------------------------

  static HttpResponse<String> get(String path, boolean key) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
    if (key) {
      b.header("Authorization", "Bearer " + KEY);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String path, byte[] body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .header("Authorization", "Bearer " + KEY)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** moshi-server's STT WebSocket protocol, decoded. */
  static final class AsrClient implements WebSocket.Listener {
    static final AsrMessages CODEC = AsrMessages.withDefaults();
    final List<AsrMessages.Out> messages = new CopyOnWriteArrayList<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    WebSocket socket;

    static AsrClient connect(String query) {
      AsrClient c = new AsrClient();
      c.socket =
          HTTP.newWebSocketBuilder()
              .header("Authorization", "Bearer " + KEY)
              .buildAsync(
                  URI.create("ws://127.0.0.1:" + server.port() + "/api/asr-streaming" + query), c)
              .join();
      return c;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      byte[] b = new byte[data.remaining()];
      data.get(b);
      partial.writeBytes(b);
      if (last) {
        try {
          messages.add(CODEC.decodeOut(partial.toByteArray()));
        } catch (Exception e) {
          messages.add(new AsrMessages.Out.Error("client could not decode: " + e));
        }
        partial.reset();
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
      closed.complete(status);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.complete(-1);
    }
  }

  /** A WebSocket client on a raw socket: it sends any frame, however wrong. */
  static final class RawWebSocket implements AutoCloseable {
    record Frame(int opcode, byte[] payload) {
      int closeCode() {
        return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
      }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    private RawWebSocket(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new DataInputStream(socket.getInputStream());
      this.out = socket.getOutputStream();
    }

    static RawWebSocket open(String pathAndQuery) throws IOException {
      Socket s = new Socket("127.0.0.1", server.port());
      s.setSoTimeout(30_000);
      RawWebSocket ws = new RawWebSocket(s);
      ws.out.write(
          head(
                  "GET " + pathAndQuery + " HTTP/1.1",
                  "Upgrade: websocket",
                  "Connection: Upgrade",
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                  "Sec-WebSocket-Version: 13",
                  WITH_KEY)
              .getBytes(StandardCharsets.ISO_8859_1));
      StringBuilder response = new StringBuilder();
      while (!response.toString().endsWith("\r\n\r\n")) {
        int b = ws.in.read();
        if (b < 0) {
          throw new IOException("closed during the handshake: " + response);
        }
        response.append((char) b);
      }
      assertThat(response.toString()).startsWith("HTTP/1.1 101");
      return ws;
    }

    /** One masked frame: {@code first} is the FIN, RSV and opcode byte. */
    void send(int first, byte[] payload) throws IOException {
      ByteArrayOutputStream f = new ByteArrayOutputStream();
      f.write(first);
      if (payload.length < 126) {
        f.write(0x80 | payload.length);
      } else if (payload.length < 65536) {
        f.write(0x80 | 126);
        f.write(payload.length >> 8);
        f.write(payload.length);
      } else {
        f.write(0x80 | 127);
        f.writeBytes(ByteBuffer.allocate(8).putLong(payload.length).array());
      }
      byte[] mask = {0x12, 0x34, 0x56, 0x78};
      f.writeBytes(mask);
      for (int i = 0; i < payload.length; i++) {
        f.write(payload[i] ^ mask[i & 3]);
      }
      try {
        out.write(f.toByteArray());
        out.flush();
      } catch (IOException e) {
        // the server refused before taking it all; its answer is read next
      }
    }

    /** Only the head of a masked frame that announces {@code length} bytes. */
    void sendHead(int first, long length) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(14);
      b.put((byte) first).put((byte) (0x80 | 127)).putLong(length).putInt(0x12345678);
      out.write(b.array());
      out.flush();
    }

    Frame readFrame() throws IOException {
      int b0 = in.readUnsignedByte();
      int b1 = in.readUnsignedByte();
      long len = b1 & 0x7f;
      if (len == 126) {
        len = in.readUnsignedShort();
      } else if (len == 127) {
        len = in.readLong();
      }
      byte[] payload = new byte[(int) len];
      in.readFully(payload);
      return new Frame(b0 & 0x0f, payload);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
