package dev.parley.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Parley's own web app, served from the jar's {@code webapp/} resources at {@code /} when no {@code
 * --static} directory replaces it. Only plain file names are looked up (letters, digits, {@code . _
 * -} and single slashes, no {@code ..}), so a request can never reach another resource.
 */
final class WebApp {
  static final String ROOT = "webapp/";

  /** Path segments of letters, digits, '_' and '-', with dots only inside a name. */
  private static final Pattern SAFE =
      Pattern.compile(
          "(?:[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+)*/)*" + "[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+)*");

  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "svg", "image/svg+xml",
          "png", "image/png",
          "json", "application/json",
          "ico", "image/x-icon");

  /**
   * The page may load only its own files and talk only to its own server (its WebSockets included);
   * nothing external can be injected or fetched.
   */
  static final String CSP =
      "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; "
          + "media-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

  private WebApp() {}

  /** The resource name for a request path, or null when the path is not a plain file name. */
  static String resource(String path) {
    String rel = path.equals("/") ? "index.html" : path.substring(1);
    if (!SAFE.matcher(rel).matches()) {
      return null;
    }
    int dot = rel.lastIndexOf('.');
    return dot < 0 || !TYPES.containsKey(rel.substring(dot + 1)) ? null : ROOT + rel;
  }

  static void serve(ChannelHandlerContext ctx, FullHttpRequest req, String path)
      throws IOException {
    String name = resource(path);
    byte[] body = null;
    if (name != null) {
      try (InputStream in = WebApp.class.getClassLoader().getResourceAsStream(name)) {
        body = in == null ? null : in.readAllBytes();
      }
    }
    if (body == null) {
      HttpResponses.text(ctx, req, HttpResponseStatus.NOT_FOUND, "not found\n");
      return;
    }
    FullHttpResponse res =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
    res.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, TYPES.get(name.substring(name.lastIndexOf('.') + 1)))
        .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
        .set("X-Content-Type-Options", "nosniff")
        .set("Content-Security-Policy", CSP);
    HttpResponses.send(ctx, req, res);
  }
}
