package dev.parley.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.server.openai.OpenAiApi;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Routes plain HTTP requests on the server's port: {@code /api/chat} upgrades to the chat WebSocket
 * ({@link ChatRoute}); {@code /api/asr-streaming} is transcription ({@link TranscriptionRoutes});
 * {@code /api/tts} and {@code /api/tts_streaming} are speech synthesis ({@link SpeechRoutes});
 * {@code /v1/...} is OpenAI's audio API ({@link OpenAiApi}); {@code /healthz}, {@code /readyz},
 * {@code /api/info}, {@code /api/status} ({@link StatusRoute}), {@code /metrics}; at {@code /}
 * static files from {@code --static}, else the built-in web app ({@link WebApp}). One per
 * connection.
 */
final class HttpRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpFrontEnd server;

  HttpRouter(HttpFrontEnd server) {
    this.server = server;
  }

  /**
   * What a request to {@code path} may cost before its route sees it ({@link RequestGate}): a new
   * route declares its policy here. Unknown paths under {@code /api/} and {@code /v1/} need the
   * key.
   */
  static RequestPolicy policy(String path) {
    return switch (path) {
      case "/healthz", "/readyz" -> RequestPolicy.PUBLIC;
      case ChatRoute.PATH, "/api/info", "/metrics", StatusRoute.PATH, PromptVoicesRoute.PATH ->
          RequestPolicy.KEYED;
      case TranscriptionRoutes.PATH -> RequestPolicy.KEYED_UPLOAD;
      case SpeechRoutes.PATH, SpeechRoutes.STREAMING_PATH -> SpeechRoutes.POLICY;
      default ->
          path.startsWith(OpenAiApi.PREFIX)
              ? OpenAiApi.policy(path)
              : path.startsWith("/api/") ? RequestPolicy.KEYED_UPLOAD : RequestPolicy.PUBLIC;
    };
  }

  /**
   * A route that failed answers 500 (the connection closes) and the cause is logged, rate-limited.
   */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    EdgeLog.failure(ctx.channel().remoteAddress(), cause);
    if (!ctx.channel().isActive()) {
      return;
    }
    HttpResponses.refuse(
        ctx,
        HttpResponseStatus.INTERNAL_SERVER_ERROR,
        "internal error: " + (cause.getMessage() == null ? cause : cause.getMessage()) + "\n");
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
    QueryStringDecoder q = new QueryStringDecoder(req.uri());
    String path = q.path();
    if (path.startsWith(OpenAiApi.PREFIX)) {
      server.openAi().handle(ctx, req, q, this);
      return;
    }
    if (path.equals(ChatRoute.PATH)) {
      server.chat().handle(ctx, req, q, this);
      return;
    }
    if (path.equals(TranscriptionRoutes.PATH)) {
      server.transcription().handle(ctx, req, q, this);
      return;
    }
    if (SpeechRoutes.handles(path)) {
      server.speech().handle(ctx, req, q, this);
      return;
    }
    if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
      HttpResponses.text(ctx, req, HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
      return;
    }
    switch (path) {
      case "/healthz" -> HttpResponses.text(ctx, req, HttpResponseStatus.OK, "ok\n");
      case "/readyz" -> {
        boolean ready = server.isReady();
        HttpResponses.text(
            ctx,
            req,
            ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
            ready ? "ready\n" : "warming up\n");
      }
      case "/api/info" -> {
        Map<String, Object> body = new LinkedHashMap<>(server.info());
        body.put("sessions_active", server.activeSessions().getAsInt());
        body.put("prompts", server.promptVoices().body());
        HttpResponses.respond(
            ctx, req, HttpResponseStatus.OK, "application/json", JSON.writeValueAsString(body));
      }
      case StatusRoute.PATH -> server.status().handle(ctx, req, q);
      case PromptVoicesRoute.PATH -> server.promptVoices().handle(ctx, req);
      case "/metrics" ->
          HttpResponses.respond(
              ctx,
              req,
              HttpResponseStatus.OK,
              "text/plain; version=0.0.4; charset=utf-8",
              server.access().metrics().scrape());
      default -> staticFile(ctx, req, path);
    }
  }

  private void staticFile(ChannelHandlerContext ctx, FullHttpRequest req, String path)
      throws Exception {
    Path root = server.access().config().staticDir();
    if (root == null) {
      WebApp.serve(ctx, req, path);
      return;
    }
    if (path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      HttpResponses.text(
          ctx, req, HttpResponseStatus.BAD_REQUEST, "control characters in the path\n");
      return;
    }
    String rel = path.equals("/") ? "index.html" : path.substring(1);
    Path file = regularFileUnder(root, rel);
    if (file == null) {
      HttpResponses.text(ctx, req, HttpResponseStatus.NOT_FOUND, "not found\n");
      return;
    }
    String type = Files.probeContentType(file);
    FullHttpResponse res =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.OK,
            Unpooled.wrappedBuffer(Files.readAllBytes(file)));
    res.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, type == null ? "application/octet-stream" : type);
    HttpResponses.send(ctx, req, res);
  }

  /**
   * The regular file {@code rel} names under {@code root}, with every link resolved; null when
   * there is none or it lies outside the root (a link out of the folder is not followed).
   */
  static Path regularFileUnder(Path root, String rel) {
    try {
      Path realRoot = root.toRealPath();
      Path file = realRoot.resolve(rel).normalize();
      if (!file.startsWith(realRoot) || !Files.exists(file)) {
        return null;
      }
      Path real = file.toRealPath();
      return real.startsWith(realRoot) && Files.isRegularFile(real) ? real : null;
    } catch (IOException | InvalidPathException e) {
      return null;
    }
  }
}
