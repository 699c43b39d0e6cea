package dev.parley.server.http;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.server.dialogue.DialogueEngine;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /api/chat}: Kyutai's dialogue WebSocket ({@link ChatSocket}), with the session metadata
 * Kyutai's web client reads.
 */
final class ChatRoute {
  static final String PATH = "/api/chat";
  private static final Logger LOG = LoggerFactory.getLogger(ChatRoute.class);
  private static final AtomicLong SESSION_IDS = new AtomicLong();

  /** Kyutai's web client expects the Rust server's build description, every field a string. */
  private static final Map<String, String> BUILD_INFO = buildInfo();

  private final DialogueEngine engine; // null without a dialogue model
  private final RouteAccess access;
  private final Map<String, Object> info;

  ChatRoute(DialogueEngine engine, RouteAccess access, Map<String, Object> info) {
    this.engine = engine;
    this.access = access;
    this.info = info;
  }

  void handle(
      ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q, ChannelHandler router) {
    // A shutting-down server refuses after the upgrade, with the protocol's error message.
    if (!access.admits(
        ctx,
        req,
        q,
        engine != null,
        "this server hosts no dialogue model (start it with --model for /api/chat)\n",
        /* checkAccepting= */ false)) {
      return;
    }
    if (!RouteAccess.isUpgrade(req)) {
      HttpResponses.text(
          ctx, req, HttpResponseStatus.BAD_REQUEST, PATH + " is a WebSocket endpoint\n");
      return;
    }
    ChatParameters.Parsed params;
    try {
      params = ChatParameters.parse(q, access.config(), System.nanoTime());
      // PersonaPlex's parameter names.
      params =
          params.withPrompt(
              engine.prompt(
                  ChatParameters.text(q, "text_prompt"), ChatParameters.text(q, "voice_prompt")));
    } catch (java.io.IOException e) {
      HttpResponses.text(
          ctx,
          req,
          HttpResponseStatus.BAD_REQUEST,
          "voice prompt unreadable: " + e.getMessage() + "\n");
      return;
    } catch (IllegalArgumentException e) {
      HttpResponses.text(ctx, req, HttpResponseStatus.BAD_REQUEST, e.getMessage() + "\n");
      return;
    }
    long id = SESSION_IDS.incrementAndGet();
    if (!params.ignored().isEmpty()) {
      LOG.info(
          "session {}: query parameters {} are accepted but not supported; ignored",
          id,
          params.ignored());
    }
    var config = access.config();
    new ChatSocket(
            ctx.channel(),
            access.metrics(),
            config.idleTimeout(),
            config.maxQueuedFrames(),
            engine,
            params.options(),
            metadata(id, params, q),
            access.accepting())
        .upgrade(ctx, req, router, PATH, config.tlsCert() != null, config.maxMessageBytes());
  }

  private Map<String, Object> metadata(
      long id, ChatParameters.Parsed params, QueryStringDecoder q) {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("session_id", id);
    meta.put("model", info.get("model"));
    meta.put("model_type", info.get("model_type"));
    meta.put("sample_rate", ModelAudio.SAMPLE_RATE);
    meta.put("frame_rate", ModelAudio.FRAME_RATE);
    meta.put("text_temperature", params.options().text().temperature());
    meta.put("text_topk", params.options().text().topK());
    meta.put("audio_temperature", params.options().audio().temperature());
    meta.put("audio_topk", params.options().audio().topK());
    meta.put("seed", params.options().seed());
    if (params.options().prompt() != null) {
      meta.put("text_prompt", params.options().prompt().text());
      meta.put("voice_prompt", params.options().prompt().voiceName());
    }
    meta.put("ignored_parameters", params.ignored());
    meta.put("server", info.get("server"));
    // The keys Kyutai's web client validates (useServerInfo.ts) to show its server panel.
    meta.put("pad_mult", ChatParameters.numberOr(q, "pad_mult", 0));
    meta.put(
        "repetition_penalty_context", ChatParameters.numberOr(q, "repetition_penalty_context", 64));
    meta.put("repetition_penalty", ChatParameters.numberOr(q, "repetition_penalty", 1.0));
    meta.put("lm_model_file", info.get("model"));
    meta.put("instance_name", "parley");
    meta.put("build_info", BUILD_INFO);
    return meta;
  }

  private static Map<String, String> buildInfo() {
    String version = ChatRoute.class.getPackage().getImplementationVersion();
    String v = version == null ? "dev" : version;
    Map<String, String> b = new LinkedHashMap<>();
    for (String k :
        new String[] {
          "build_timestamp", "build_date", "git_branch", "git_timestamp", "git_date", "git_hash"
        }) {
      b.put(k, "");
    }
    b.put("git_describe", "parley-" + v);
    b.put("rustc_host_triple", "");
    b.put("rustc_version", "none (Java " + Runtime.version() + ")");
    b.put("cargo_target_triple", System.getProperty("os.arch"));
    return b;
  }
}
