package dev.parley.server.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;

/** Whole and streamed (chunked) HTTP answers of the OpenAI routes, kept alive when allowed. */
final class OpenAiHttp {
  static final ObjectMapper JSON = new ObjectMapper();

  private OpenAiHttp() {}

  static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
    }
  }

  static void error(ChannelHandlerContext ctx, boolean keepAlive, OpenAiError e) {
    respond(ctx, keepAlive, e.status(), "application/json", json(e.body()));
  }

  /**
   * Answers 413 and closes if a body of {@code size} bytes is past {@code limit}: whether it did.
   * {@code what} names the body in the message ("body", "upload"); {@code param} the field, if any.
   */
  static boolean refusedAsTooLarge(
      ChannelHandlerContext ctx, int size, int limit, String what, String param) {
    if (size <= limit) {
      return false;
    }
    error(
        ctx,
        false,
        new OpenAiError(
            HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
            "The " + what + " is " + size + " bytes; the limit is " + limit,
            OpenAiError.INVALID_REQUEST,
            param,
            null));
    return true;
  }

  static void respond(
      ChannelHandlerContext ctx,
      boolean keepAlive,
      HttpResponseStatus status,
      String type,
      String body) {
    respond(ctx, keepAlive, status, type, body.getBytes(StandardCharsets.UTF_8));
  }

  static void respond(
      ChannelHandlerContext ctx,
      boolean keepAlive,
      HttpResponseStatus status,
      String type,
      byte[] body) {
    FullHttpResponse res =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    HttpUtil.setContentLength(res, body.length);
    if (keepAlive) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    ChannelFuture f = ctx.writeAndFlush(res);
    if (!keepAlive) {
      f.addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** The head of a chunked 200 answer; the body follows as it is produced. */
  static HttpResponse streamHead(String type, boolean keepAlive) {
    HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
    HttpUtil.setTransferEncodingChunked(res, true);
    if (keepAlive) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    return res;
  }

  /** Ends a chunked answer. */
  static void endStream(ChannelHandlerContext ctx, boolean keepAlive) {
    ChannelFuture f = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    if (!keepAlive) {
      f.addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** One Server-Sent Event carrying {@code event} as JSON. */
  static byte[] sse(Object event) {
    return ("data: " + json(event) + "\n\n").getBytes(StandardCharsets.UTF_8);
  }
}
