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
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code /v1/realtime}: the WebSocket upgrade. Browsers, which cannot set headers on a WebSocket,
 * send the key as the subprotocol {@code openai-insecure-api-key.<key>} (beside {@code realtime}).
 */
final class RealtimeRoute {
  static final String KEY_PROTOCOL = "openai-insecure-api-key.";

  /** A server with nothing to send pings this often. */
  static final Duration PING_INTERVAL = Duration.ofSeconds(10);

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
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    if (!"websocket".equalsIgnoreCase(req.headers().get(HttpHeaderNames.UPGRADE))) {
      OpenAiHttp.error(
          ctx,
          keepAlive,
          OpenAiError.badRequest(
              "Open a WebSocket to /v1/realtime?model=<model>", null, "websocket_required"));
      return;
    }
    List<String> m = q.parameters().get("model");
    String asked = m == null || m.isEmpty() ? null : m.get(0);
    List<String> intent = q.parameters().get("intent");
    boolean transcription = intent != null && intent.contains("transcription");
    String dialogueModel =
        transcription ? null : asked == null ? models.dialogue() : models.forDialogue(asked);
    String sttModel =
        dialogueModel != null
            ? null
            : asked == null ? models.transcription() : models.forTranscription(asked);
    ChannelHandler socket;
    Runnable opened;
    if (dialogueModel != null && dialogue != null) {
      RealtimeDialogueSocket d =
          new RealtimeDialogueSocket(ctx.channel(), dialogue, metrics, dialogueModel);
      socket = d;
      opened = d::opened;
    } else if (sttModel != null && stt != null) {
      RealtimeTranscriptionSocket t =
          new RealtimeTranscriptionSocket(
              ctx.channel(), stt, metrics, sttModel, config.maxQueuedFrames());
      socket = t;
      opened = t::opened;
    } else {
      OpenAiHttp.error(
          ctx,
          keepAlive,
          new OpenAiError(
              HttpResponseStatus.NOT_FOUND,
              "No realtime model '"
                  + asked
                  + "' here: ?model= a dialogue model (speech to speech) or a transcription"
                  + " model; models: "
                  + String.join(", ", models.ids()),
              OpenAiError.INVALID_REQUEST,
              "model",
              "model_not_found"));
      return;
    }
    String url =
        (config.tlsCert() != null ? "wss" : "ws")
            + "://"
            + req.headers().get(HttpHeaderNames.HOST)
            + HostedModels.REALTIME;
    // No extension is negotiated: a frame with RSV bits is a protocol error (Netty closes 1002),
    // as is text that is not UTF-8 (1007, checked however the message is fragmented).
    WebSocketDecoderConfig decoder =
        WebSocketDecoderConfig.newBuilder()
            .maxFramePayloadLength(config.maxMessageBytes())
            .allowExtensions(false)
            .build();
    WebSocketServerHandshaker hs =
        new WebSocketServerHandshakerFactory(url, "realtime", decoder).newHandshaker(req);
    if (hs == null) {
      WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
      return;
    }
    hs.handshake(ctx.channel(), req)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                ctx.close();
                return;
              }
              Duration idle = config.idleTimeout();
              ctx.pipeline()
                  .addBefore(
                      ctx.name(),
                      "idle",
                      new IdleStateHandler(
                          idle.toMillis(), PING_INTERVAL.toMillis(), 0, TimeUnit.MILLISECONDS));
              ctx.pipeline().addBefore(ctx.name(), "idle-close", new RealtimeIdleClose(idle));
              ctx.pipeline().addBefore(ctx.name(), "ws-utf8", new Utf8FrameValidator());
              ctx.pipeline()
                  .addBefore(
                      ctx.name(),
                      "ws-aggregator",
                      new WebSocketFrameAggregator(config.maxMessageBytes()));
              ctx.pipeline().replace(router, "ws-openai-realtime", socket);
              opened.run();
            });
  }
}
