package dev.parley.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Whole HTTP responses, kept alive when the request allows it. */
final class HttpResponses {
  private static final long REFUSAL_WAIT_SECONDS = 5;

  private HttpResponses() {}

  static void respond(
      ChannelHandlerContext ctx,
      FullHttpRequest req,
      HttpResponseStatus status,
      String type,
      String body) {
    FullHttpResponse res =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    send(ctx, req, res);
  }

  static void text(
      ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String body) {
    respond(ctx, req, status, "text/plain", body);
  }

  /**
   * A refusal: {@code status} with {@code body}, {@code Connection: close}, then the connection is
   * closed once the answer is out (or at once if it cannot be written).
   */
  static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
    refuse(ctx, RefusalFormat.PLAIN.response(status, body));
  }

  /** A refusal already written out by a route's {@link RefusalFormat}. */
  static void refuse(ChannelHandlerContext ctx, FullHttpResponse res) {
    res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    HttpUtil.setContentLength(res, res.content().readableBytes());
    if (ctx.channel().isActive()) {
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
      // A client that reads nothing never lets the answer out: do not wait for it forever.
      ctx.executor().schedule(() -> ctx.channel().close(), REFUSAL_WAIT_SECONDS, TimeUnit.SECONDS);
    } else {
      res.release();
      ctx.close();
    }
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
