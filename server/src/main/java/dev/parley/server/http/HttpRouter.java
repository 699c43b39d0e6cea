package dev.parley.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.server.engine.DialogueEngine;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.engine.Session;
import dev.parley.server.stt.SttEngine;
import dev.parley.server.metrics.EngineMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.timeout.IdleStateHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes plain HTTP requests on the server's port: {@code /api/chat} upgrades to the chat
 * WebSocket; {@code /api/asr-streaming} is transcription ({@link TranscriptionRoutes});
 * {@code /api/tts} and {@code /api/tts_streaming} are speech synthesis ({@link SpeechRoutes});
 * {@code /healthz}, {@code /readyz}, {@code /api/info}, {@code /metrics}; static files from
 * {@code --static} at {@code /}.
 */
final class HttpRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(HttpRouter.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicLong SESSION_IDS = new AtomicLong();

  private final DialogueEngine engine; // null without a dialogue model
  private final SttEngine sttEngine; // null without a transcription model
  private final dev.parley.server.tts.TtsEngine ttsEngine; // null without a TTS model
  private final TranscriptionRoutes transcription;
  private final SpeechRoutes speech;
  private final ServerConfig config;
  private final EngineMetrics metrics;
  private final BooleanSupplier ready;
  private final BooleanSupplier accepting;
  private final Map<String, Object> info;

  HttpRouter(DialogueEngine engine, SttEngine sttEngine, dev.parley.server.tts.TtsEngine ttsEngine, ServerConfig config,
      EngineMetrics metrics, BooleanSupplier ready, BooleanSupplier accepting, Map<String, Object> info) {
    this.engine = engine;
    this.sttEngine = sttEngine;
    this.ttsEngine = ttsEngine;
    this.transcription = new TranscriptionRoutes(sttEngine, config, metrics, accepting);
    this.speech = new SpeechRoutes(ttsEngine, config, metrics, accepting);
    this.config = config;
    this.metrics = metrics;
    this.ready = ready;
    this.accepting = accepting;
    this.info = info;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
    QueryStringDecoder q = new QueryStringDecoder(req.uri());
    String path = q.path();
    if (path.equals("/api/chat")) {
      chat(ctx, req, q);
      return;
    }
    if (path.equals(TranscriptionRoutes.PATH)) {
      transcription.handle(ctx, req, q, this);
      return;
    }
    if (SpeechRoutes.handles(path)) {
      speech.handle(ctx, req, q, this);
      return;
    }
    if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
      respond(ctx, req, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain", "method not allowed\n");
      return;
    }
    switch (path) {
      case "/healthz" -> respond(ctx, req, HttpResponseStatus.OK, "text/plain", "ok\n");
      case "/readyz" -> respond(ctx, req, ready.getAsBoolean() ? HttpResponseStatus.OK
          : HttpResponseStatus.SERVICE_UNAVAILABLE, "text/plain", ready.getAsBoolean() ? "ready\n" : "warming up\n");
      case "/api/info" -> {
        Map<String, Object> body = new LinkedHashMap<>(info);
        body.put("sessions_active", (engine == null ? 0 : engine.activeSessions())
            + (sttEngine == null ? 0 : sttEngine.activeSessions())
            + (ttsEngine == null ? 0 : ttsEngine.activeSessions()));
        respond(ctx, req, HttpResponseStatus.OK, "application/json", JSON.writeValueAsString(body));
      }
      case "/metrics" -> respond(ctx, req, HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
          metrics.scrape());
      default -> staticFile(ctx, req, path);
    }
  }

  private void chat(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q) throws Exception {
    if (engine == null) {
      respond(ctx, req, HttpResponseStatus.NOT_FOUND, "text/plain",
          "this server hosts no dialogue model (start it with --model for /api/chat)\n");
      return;
    }
    if (!config.apiKeys().allows(req.headers(), q)) {
      metrics.rejected();
      respond(ctx, req, HttpResponseStatus.UNAUTHORIZED, "text/plain",
          "missing or wrong API key (Authorization: Bearer, kyutai-api-key, or auth_id)\n");
      return;
    }
    if (!"websocket".equalsIgnoreCase(req.headers().get(HttpHeaderNames.UPGRADE))) {
      respond(ctx, req, HttpResponseStatus.BAD_REQUEST, "text/plain", "/api/chat is a WebSocket endpoint\n");
      return;
    }
    ChatParameters.Parsed params;
    try {
      params = ChatParameters.parse(q, config, System.nanoTime());
    } catch (IllegalArgumentException e) {
      respond(ctx, req, HttpResponseStatus.BAD_REQUEST, "text/plain", e.getMessage() + "\n");
      return;
    }
    String scheme = config.tlsCert() != null ? "wss" : "ws";
    WebSocketServerHandshaker hs = new WebSocketServerHandshakerFactory(
        scheme + "://" + req.headers().get(HttpHeaderNames.HOST) + "/api/chat", null, true, config.maxMessageBytes())
        .newHandshaker(req);
    if (hs == null) {
      WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
      return;
    }
    ChatSocket socket = new ChatSocket(ctx.channel(), metrics);
    hs.handshake(ctx.channel(), req).addListener(f -> {
      if (!f.isSuccess()) {
        ctx.close();
        return;
      }
      ctx.pipeline().addBefore(ctx.name(), "idle",
          new IdleStateHandler(config.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
      ctx.pipeline().replace(this, "chat", socket);
      Session session;
      try {
        if (!accepting.getAsBoolean()) {
          throw new IllegalStateException("server is shutting down");
        }
        session = engine.open(params.options(), socket);
      } catch (EngineFullException | IllegalStateException e) {
        metrics.rejected();
        socket.onClosed(e.getMessage());
        return;
      }
      long id = SESSION_IDS.incrementAndGet();
      if (!params.ignored().isEmpty()) {
        LOG.info("session {}: query parameters {} are accepted but not supported; ignored", id, params.ignored());
      }
      Map<String, Object> meta = new LinkedHashMap<>();
      meta.put("session_id", id);
      meta.put("model", info.get("model"));
      meta.put("model_type", info.get("model_type"));
      meta.put("sample_rate", 24000);
      meta.put("frame_rate", 12.5);
      meta.put("text_temperature", params.options().text().temperature());
      meta.put("text_topk", params.options().text().topK());
      meta.put("audio_temperature", params.options().audio().temperature());
      meta.put("audio_topk", params.options().audio().topK());
      meta.put("seed", params.options().seed());
      meta.put("ignored_parameters", params.ignored());
      meta.put("server", info.get("server"));
      // The keys Kyutai's web client validates (useServerInfo.ts) to show its server panel.
      meta.put("pad_mult", ChatParameters.numberOr(q, "pad_mult", 0));
      meta.put("repetition_penalty_context", ChatParameters.numberOr(q, "repetition_penalty_context", 64));
      meta.put("repetition_penalty", ChatParameters.numberOr(q, "repetition_penalty", 1.0));
      meta.put("lm_model_file", info.get("model"));
      meta.put("instance_name", "parley");
      meta.put("build_info", BUILD_INFO);
      socket.start(session, meta);
    });
  }

  /** Kyutai's web client expects the Rust server's build description, every field a string. */
  private static final Map<String, String> BUILD_INFO = buildInfo();

  private static Map<String, String> buildInfo() {
    String version = HttpRouter.class.getPackage().getImplementationVersion();
    String v = version == null ? "dev" : version;
    Map<String, String> b = new LinkedHashMap<>();
    for (String k : new String[] {"build_timestamp", "build_date", "git_branch", "git_timestamp", "git_date",
        "git_hash"}) {
      b.put(k, "");
    }
    b.put("git_describe", "parley-" + v);
    b.put("rustc_host_triple", "");
    b.put("rustc_version", "none (Java " + Runtime.version() + ")");
    b.put("cargo_target_triple", System.getProperty("os.arch"));
    return b;
  }

  private void staticFile(ChannelHandlerContext ctx, FullHttpRequest req, String path) throws Exception {
    Path root = config.staticDir();
    if (root == null) {
      respond(ctx, req, HttpResponseStatus.NOT_FOUND, "text/plain", "not found\n");
      return;
    }
    String rel = path.equals("/") ? "index.html" : path.substring(1);
    Path file = root.resolve(rel).normalize();
    if (!file.startsWith(root.normalize()) || !Files.isRegularFile(file)) {
      respond(ctx, req, HttpResponseStatus.NOT_FOUND, "text/plain", "not found\n");
      return;
    }
    String type = Files.probeContentType(file);
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
        Unpooled.wrappedBuffer(Files.readAllBytes(file)));
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, type == null ? "application/octet-stream" : type);
    send(ctx, req, res);
  }

  static void respond(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String type,
      String body) {
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    send(ctx, req, res);
  }

  static void send(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse res) {
    HttpUtil.setContentLength(res, res.content().readableBytes());
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    if (keepAlive) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    var f = ctx.writeAndFlush(res);
    if (!keepAlive) {
      f.addListener(ChannelFutureListener.CLOSE);
    }
  }
}
