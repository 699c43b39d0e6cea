package dev.parley.server.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * How a route's clients are told that the edge refused their request (wrong key, body too large, a
 * stalled body) before the route saw it: plain text for Parley's own routes, the error JSON of an
 * API a route imitates for its clients' SDKs.
 */
@FunctionalInterface
public interface RefusalFormat {
  /** Plain text, the message as the body. */
  RefusalFormat PLAIN =
      (status, message) -> {
        FullHttpResponse res =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                status,
                Unpooled.copiedBuffer(
                    message.endsWith("\n") ? message : message + "\n", StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        return res;
      };

  /** The whole answer to a refusal with {@code status}; {@code message} says why. */
  FullHttpResponse response(HttpResponseStatus status, String message);
}
