package dev.parley.server.http;

import dev.parley.server.config.ServerConfig;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.metrics.EngineMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.function.BooleanSupplier;

/**
 * The checks every model route makes before any work: the model is hosted, the API key is right,
 * the server still takes sessions. A failed check is answered here.
 */
record RouteAccess(ServerConfig config, EngineMetrics metrics, BooleanSupplier accepting) {
  static final String WRONG_KEY =
      "missing or wrong API key (Authorization: Bearer, kyutai-api-key, or auth_id)\n";

  /**
   * Whether the request may go on; if not, it has been answered.
   *
   * @param hosted whether the route's model is loaded
   * @param notHosted the answer when it is not (how to start the server with one)
   * @param checkAccepting whether a shutting-down server refuses here (else the route refuses in
   *     its own protocol after the upgrade)
   */
  boolean admits(
      ChannelHandlerContext ctx,
      FullHttpRequest req,
      QueryStringDecoder q,
      boolean hosted,
      String notHosted,
      boolean checkAccepting) {
    if (!hosted) {
      HttpResponses.text(ctx, req, HttpResponseStatus.NOT_FOUND, notHosted);
      return false;
    }
    if (!config.apiKeys().allows(req.headers(), q)) {
      metrics.rejected();
      HttpResponses.text(ctx, req, HttpResponseStatus.UNAUTHORIZED, WRONG_KEY);
      return false;
    }
    if (checkAccepting && !accepting.getAsBoolean()) {
      HttpResponses.text(
          ctx, req, HttpResponseStatus.SERVICE_UNAVAILABLE, EngineFullException.DRAINING + "\n");
      return false;
    }
    return true;
  }

  static boolean isUpgrade(FullHttpRequest req) {
    return "websocket".equalsIgnoreCase(req.headers().get(HttpHeaderNames.UPGRADE));
  }
}
