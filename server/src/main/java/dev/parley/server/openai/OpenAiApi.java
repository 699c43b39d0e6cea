package dev.parley.server.openai;

import dev.parley.server.config.ServerConfig;
import dev.parley.server.dialogue.DialogueEngine;
import dev.parley.server.http.RefusalFormat;
import dev.parley.server.http.RequestPolicy;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.stt.SttEngine;
import dev.parley.server.tts.TtsEngine;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * OpenAI's audio API on the server's own engines, under {@code /v1/}: {@code GET /v1/models},
 * {@code POST /v1/audio/transcriptions} (the STT engine), {@code POST /v1/audio/speech} (the TTS
 * engine) and the {@code /v1/realtime} WebSocket. Same API keys, slots and metrics as the other
 * routes; every refusal is OpenAI's error JSON.
 */
public final class OpenAiApi {
  public static final String PREFIX = "/v1/";

  /** The edge's refusals (wrong key, body too large, a stalled body) in OpenAI's error JSON. */
  static final RefusalFormat REFUSALS =
      (status, message) -> {
        OpenAiError e =
            status.equals(HttpResponseStatus.UNAUTHORIZED)
                ? OpenAiError.wrongKey()
                : new OpenAiError(
                    status,
                    message.strip(),
                    OpenAiError.INVALID_REQUEST,
                    null,
                    status.equals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE)
                        ? "request_too_large"
                        : null);
        FullHttpResponse res =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                e.status(),
                Unpooled.copiedBuffer(OpenAiHttp.json(e.body()), StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        return res;
      };

  /**
   * What a request under {@link #PREFIX} may cost before it reaches these routes. The Realtime
   * upgrade checks its key itself (browsers send it as a subprotocol, which the edge does not
   * read); every other route needs the key in its headers before its body is read.
   */
  public static RequestPolicy policy(String path) {
    if (path.equals(HostedModels.REALTIME)) {
      return new RequestPolicy(false, RequestPolicy.SMALL_BODY_BYTES, REFUSALS);
    }
    if (path.equals(HostedModels.TRANSCRIPTIONS)) {
      return new RequestPolicy(true, TranscriptionsRoute.MAX_BODY_BYTES + (64 << 10), REFUSALS);
    }
    return new RequestPolicy(true, 1 << 20, REFUSALS);
  }

  private final ServerConfig config;
  private final EngineMetrics metrics;
  private final BooleanSupplier accepting;
  private final HostedModels models;
  private final TranscriptionsRoute transcriptions; // null without an STT model
  private final SpeechRoute speech; // null without a TTS model
  private final RealtimeRoute realtime;
  private final ExecutorService opener = opener();

  /** Any engine may be null (not hosted). */
  public OpenAiApi(
      DialogueEngine dialogue,
      SttEngine stt,
      TtsEngine tts,
      ServerConfig config,
      EngineMetrics metrics,
      BooleanSupplier accepting,
      VoiceTable voices) {
    this.config = config;
    this.metrics = metrics;
    this.accepting = accepting;
    this.models =
        new HostedModels(
            stt == null ? null : stt.model().name(),
            tts == null ? null : tts.model().name(),
            dialogue == null ? null : dialogue.model().name(),
            System.currentTimeMillis() / 1000);
    this.transcriptions =
        stt == null
            ? null
            : new TranscriptionsRoute(stt, models, metrics, config.maxQueuedFrames());
    this.speech = tts == null ? null : new SpeechRoute(tts, models, voices, metrics, opener);
    this.realtime = new RealtimeRoute(dialogue, stt, models, config, metrics);
  }

  private static ExecutorService opener() {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            2,
            2,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "parley-openai-open");
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** Answers any request under {@link #PREFIX}. */
  public void handle(
      ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q, ChannelHandler router) {
    String path = q.path();
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    if (!config.apiKeys().allows(req.headers(), q)
        && !(path.equals(HostedModels.REALTIME) && realtime.keyInSubprotocol(req))) {
      metrics.rejected();
      OpenAiHttp.error(ctx, keepAlive, OpenAiError.wrongKey());
      return;
    }
    boolean post = req.method() == HttpMethod.POST;
    switch (path) {
      case "/v1/models" -> {
        if (req.method() != HttpMethod.GET) {
          OpenAiHttp.error(ctx, keepAlive, OpenAiError.methodNotAllowed("GET /v1/models"));
        } else {
          OpenAiHttp.respond(
              ctx,
              keepAlive,
              HttpResponseStatus.OK,
              "application/json",
              OpenAiHttp.json(models.list()));
        }
      }
      case HostedModels.TRANSCRIPTIONS -> {
        if (!post) {
          OpenAiHttp.error(
              ctx, keepAlive, OpenAiError.methodNotAllowed("POST a multipart form to " + path));
        } else if (admits(ctx, keepAlive, transcriptions != null, "transcription", "--stt-model")) {
          transcriptions.handle(ctx, req);
        }
      }
      case HostedModels.SPEECH -> {
        if (!post) {
          OpenAiHttp.error(ctx, keepAlive, OpenAiError.methodNotAllowed("POST JSON to " + path));
        } else if (admits(ctx, keepAlive, speech != null, "text-to-speech", "--tts-model")) {
          speech.handle(ctx, req);
        }
      }
      case HostedModels.REALTIME -> {
        if (admits(ctx, keepAlive, true, "", "")) {
          realtime.handle(ctx, req, q, router);
        }
      }
      default -> {
        if (path.startsWith("/v1/models/") && req.method() == HttpMethod.GET) {
          Map<String, Object> m = models.get(path.substring("/v1/models/".length()));
          if (m != null) {
            OpenAiHttp.respond(
                ctx, keepAlive, HttpResponseStatus.OK, "application/json", OpenAiHttp.json(m));
            return;
          }
          OpenAiHttp.error(
              ctx,
              keepAlive,
              new OpenAiError(
                  HttpResponseStatus.NOT_FOUND,
                  "The model '"
                      + path.substring("/v1/models/".length())
                      + "' does not exist; models: "
                      + String.join(", ", models.ids()),
                  OpenAiError.INVALID_REQUEST,
                  "model",
                  "model_not_found"));
          return;
        }
        OpenAiHttp.error(
            ctx,
            keepAlive,
            OpenAiError.notFound(
                "Parley serves /v1/models, /v1/audio/transcriptions, /v1/audio/speech and"
                    + " /v1/realtime; not "
                    + path));
      }
    }
  }

  private boolean admits(
      ChannelHandlerContext ctx, boolean keepAlive, boolean hosted, String kind, String option) {
    if (!hosted) {
      OpenAiHttp.error(
          ctx,
          keepAlive,
          OpenAiError.notFound(
              "This server hosts no " + kind + " model (start it with " + option + ")"));
      return false;
    }
    if (!accepting.getAsBoolean()) {
      OpenAiHttp.error(
          ctx, keepAlive, OpenAiError.unavailable("server is shutting down", "shutting_down"));
      return false;
    }
    return true;
  }
}
