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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Routes plain HTTP requests on the server's port: {@code /api/chat} upgrades to the chat WebSocket
 * ({@link ChatRoute}); {@code /api/asr-streaming} is transcription ({@link TranscriptionRoutes});
 * {@code /api/tts} and {@code /api/tts_streaming} are speech synthesis ({@link SpeechRoutes});
 * {@code /v1/...} is OpenAI's audio API ({@link OpenAiApi}); {@code /healthz}, {@code /readyz},
 * {@code /api/info}, {@code /metrics}; static files from {@code --static} at {@code /}. One per
 * connection.
 */
final class HttpRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpFrontEnd server;

  HttpRouter(HttpFrontEnd server) {
    this.server = server;
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
        HttpResponses.respond(
            ctx, req, HttpResponseStatus.OK, "application/json", JSON.writeValueAsString(body));
      }
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
      HttpResponses.text(ctx, req, HttpResponseStatus.NOT_FOUND, "not found\n");
      return;
    }
    String rel = path.equals("/") ? "index.html" : path.substring(1);
    Path file = root.resolve(rel).normalize();
    if (!file.startsWith(root.normalize()) || !Files.isRegularFile(file)) {
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
}
