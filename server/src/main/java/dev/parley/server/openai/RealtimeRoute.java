package dev.parley.server.openai;

import dev.parley.server.config.ServerConfig;
import dev.parley.server.dialogue.DialogueEngine;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.stt.SttEngine;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;

/**
 * {@code /v1/realtime}: the WebSocket upgrade. Browsers, which cannot set headers on a WebSocket,
 * send the key as the subprotocol {@code openai-insecure-api-key.<key>} (beside {@code realtime}).
 */
final class RealtimeRoute {
  static final String KEY_PROTOCOL = "openai-insecure-api-key.";

  private final DialogueEngine dialogue;
  private final SttEngine stt;
  private final HostedModels models;
  private final ServerConfig config;
  private final EngineMetrics metrics;

  RealtimeRoute(
      DialogueEngine dialogue,
      SttEngine stt,
      HostedModels models,
      ServerConfig config,
      EngineMetrics metrics) {
    this.dialogue = dialogue;
    this.stt = stt;
    this.models = models;
    this.config = config;
    this.metrics = metrics;
  }

  boolean keyInSubprotocol(FullHttpRequest req) {
    String protocols = req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
    if (protocols == null) {
      return false;
    }
    for (String p : protocols.split(",")) {
      String s = p.strip();
      if (s.startsWith(KEY_PROTOCOL)
          && config.apiKeys().allowsKey(s.substring(KEY_PROTOCOL.length()))) {
        return true;
      }
    }
    return false;
  }

  void handle(
      ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q, ChannelHandler router) {
    OpenAiHttp.error(
        ctx,
        HttpUtil.isKeepAlive(req),
        new OpenAiError(
            HttpResponseStatus.BAD_REQUEST,
            "open a WebSocket to /v1/realtime",
            OpenAiError.INVALID_REQUEST,
            null,
            null));
  }
}
