package dev.parley.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavWriter;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.tts.ScriptLimits;
import dev.parley.server.tts.TtsEngine;
import dev.parley.server.tts.TtsListener;
import dev.parley.server.tts.TtsOptions;
import dev.parley.server.tts.TtsSession;
import dev.parley.server.tts.TtsWord;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Text to speech over HTTP, as moshi-server serves it: {@code GET /api/tts_streaming} upgrades to
 * the streaming WebSocket ({@link TtsSocket}; query {@code format}, {@code voice}, {@code auth_id},
 * and as Parley extensions {@code seed}, {@code temperature}, {@code cfg_alpha}); {@code POST
 * /api/tts} (and, as moshi-server's {@code Py} module, {@code POST /api/tts_streaming}) takes a
 * JSON {@code TtsQuery} and answers the whole synthesis: a 16-bit 24 kHz mono WAV, or with {@code
 * "return_timestamps": true} (or {@code "format": "json"}, or {@code Accept: application/json})
 * {@code {"wav": base64, "transcript": [{"text", "start_s", "stop_s"}]}}.
 *
 * <p>Slots are claimed on a small worker pool (a named voice may have to be read from disk), never
 * on the event loop. A POST that finds every slot taken waits for one, as moshi-server does, for up
 * to {@link #SLOT_WAIT_MILLIS}; a client that disconnects meanwhile, or during the synthesis, frees
 * its slot.
 */
final class SpeechRoutes {
  static final String PATH = "/api/tts";
  static final String STREAMING_PATH = "/api/tts_streaming";

  /** How long a POST waits for a free slot (moshi-server's Py module: 1000 tries 100 ms apart). */
  static final long SLOT_WAIT_MILLIS = 30_000;

  /** A JSON request body: the text limit with room for the other fields and JSON escapes. */
  static final RequestPolicy POLICY = new RequestPolicy(true, 1 << 20);

  static final int MAX_TURNS = ScriptLimits.MAX_TURNS;

  private static final long RETRY_MILLIS = 100;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Claims slots off the event loops; idle threads go away. */
  private static final ExecutorService OPENER = opener();

  private final TtsEngine engine; // null without a TTS model
  private final RouteAccess access;
  private final ServerConfig config;
  private final EngineMetrics metrics;

  SpeechRoutes(TtsEngine engine, RouteAccess access) {
    this.engine = engine;
    this.access = access;
    this.config = access.config();
    this.metrics = access.metrics();
  }

  private static ExecutorService opener() {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            4,
            4,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "parley-tts-open");
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  static boolean handles(String path) {
    return path.equals(PATH) || path.equals(STREAMING_PATH);
  }

  void handle(
      ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q, ChannelHandler router) {
    String path = q.path();
    if (!access.admits(
        ctx,
        req,
        q,
        engine != null,
        "this server hosts no text-to-speech model (start it with --tts-model, e.g. --tts-model demo-tts)\n",
        /* checkAccepting= */ !RouteAccess.isUpgrade(req))) { // a socket hears "draining" as Error

      return;
    }
    boolean upgrade = RouteAccess.isUpgrade(req);
    if (path.equals(STREAMING_PATH) && upgrade) {
      upgrade(ctx, req, q, router);
    } else if (req.method() == HttpMethod.POST) {
      synthesize(ctx, req);
    } else {
      HttpResponses.respond(
          ctx,
          req,
          path.equals(PATH)
              ? HttpResponseStatus.METHOD_NOT_ALLOWED
              : HttpResponseStatus.BAD_REQUEST,
          "text/plain",
          path
              + ": POST a JSON body such as "
              + "{\"text\": \"Hello world\"}"
              + (path.equals(STREAMING_PATH) ? ", or open a WebSocket" : "")
              + "\n");
    }
  }

  // ---- the streaming WebSocket ----------------------------------------------------------------

  private void upgrade(
      ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q, ChannelHandler router) {
    TtsSocket.Format format;
    TtsOptions options;
    try {
      format = TtsSocket.Format.parse(param(q, "format"));
      String voice = param(q, "voice");
      options =
          TtsOptions.voice(voice)
              .withSampling(floatParam(q, "temperature"), seedParam(param(q, "seed")))
              .withCfg(doubleParam(q, "cfg_alpha"));
    } catch (IllegalArgumentException e) {
      HttpResponses.respond(
          ctx, req, HttpResponseStatus.BAD_REQUEST, "text/plain", e.getMessage() + "\n");
      return;
    }
    new TtsSocket(ctx.channel(), engine, metrics, format, options, OPENER, config.idleTimeout())
        .upgrade(
            ctx, req, router, STREAMING_PATH, config.tlsCert() != null, config.maxMessageBytes());
  }

  private static String param(QueryStringDecoder q, String name) {
    List<String> v = q.parameters().get(name);
    return v == null || v.isEmpty() ? null : v.get(v.size() - 1);
  }

  private static Float floatParam(QueryStringDecoder q, String name) {
    Double d = doubleParam(q, name);
    return d == null ? null : d.floatValue();
  }

  private static Double doubleParam(QueryStringDecoder q, String name) {
    String s = param(q, name);
    if (s == null || s.isEmpty()) {
      return null;
    }
    try {
      double d = Double.parseDouble(s);
      if (Double.isFinite(d)) {
        return d;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(
        "query parameter " + name + " must be a number, got '" + s + "'");
  }

  /** A u64 seed (as moshi-server's), kept as its 64 bits. */
  private static Long seedParam(String s) {
    if (s == null || s.isEmpty()) {
      return null;
    }
    try {
      BigInteger v = new BigInteger(s);
      if (v.signum() >= 0 && v.bitLength() <= 64) {
        return v.longValue();
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(
        "seed must be an integer from 0 to 2^64 - 1, got '" + s + "'");
  }

  // ---- POST: a whole synthesis ----------------------------------------------------------------

  /** A parsed POST body. */
  record SpeechRequest(List<String> turns, TtsOptions options, boolean json) {}

  private void synthesize(ChannelHandlerContext ctx, FullHttpRequest req) {
    byte[] body = ByteBufUtil.getBytes(req.content());
    metrics.bytesIn(body.length);
    SpeechRequest request;
    try {
      request = parse(body, req.headers().get(HttpHeaderNames.ACCEPT));
    } catch (IllegalArgumentException e) {
      HttpResponses.respond(
          ctx, req, HttpResponseStatus.BAD_REQUEST, "text/plain", e.getMessage() + "\n");
      return;
    }
    // The request's cost is bounded before it waits for a slot, with the limit in the answer.
    String tooCostly = ScriptLimits.refusal(request.turns(), engine.settings().maxTextChars());
    if (tooCostly != null) {
      HttpResponses.respond(
          ctx, req, HttpResponseStatus.BAD_REQUEST, "text/plain", tooCostly + "\n");
      return;
    }
    PostSynthesis job =
        new PostSynthesis(
            ctx,
            req.retain(),
            request,
            System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SLOT_WAIT_MILLIS));
    job.submit();
  }

  /**
   * moshi-server's {@code TtsQuery}: {@code text} (a string, or a list of strings: speaker turns),
   * {@code voice} or {@code voices}, {@code seed}, {@code temperature}, {@code top_k} (at most 1:
   * greedy, as moshi-server; other values are accepted, the engine samples from the top 250),
   * {@code cfg_alpha}, {@code max_seq_len} (accepted; the engine's own step limit applies), {@code
   * return_timestamps}; and {@code format} ({@code "wav"} or {@code "json"}). Unknown fields are
   * ignored, as serde does.
   */
  static SpeechRequest parse(byte[] body, String accept) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the body: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(
          "the body must be a JSON object such as {\"text\": \"Hello world\"}");
    }
    JsonNode text = root.get("text");
    List<String> turns = new ArrayList<>();
    if (text == null || text.isNull()) {
      throw new IllegalArgumentException(
          "missing field 'text' (a string, or a list of strings: one per speaker turn)");
    } else if (text.isTextual()) {
      turns.add(text.textValue());
    } else if (text.isArray()) {
      for (JsonNode t : text) {
        if (!t.isTextual()) {
          throw new IllegalArgumentException("'text' must be a string or a list of strings");
        }
        turns.add(t.textValue());
      }
    } else {
      throw new IllegalArgumentException("'text' must be a string or a list of strings");
    }
    if (turns.stream().allMatch(String::isBlank)) {
      throw new IllegalArgumentException("no text to speak: 'text' is empty");
    }
    String voice = optionalString(root, "voice");
    List<String> voices = null;
    JsonNode vs = root.get("voices");
    if (vs != null && !vs.isNull()) {
      if (!vs.isArray() || vs.isEmpty()) {
        throw new IllegalArgumentException("'voices' must be a non-empty list of voice names");
      }
      voices = new ArrayList<>();
      for (JsonNode v : vs) {
        if (!v.isTextual() || v.textValue().isBlank()) {
          throw new IllegalArgumentException("'voices' must be a list of voice names");
        }
        voices.add(v.textValue());
      }
    }
    if (voice != null && voices != null) {
      throw new IllegalArgumentException("voice and voices should not be set at the same time");
    }
    Double temperature = optionalNumber(root, "temperature");
    Long topK = optionalInteger(root, "top_k");
    if (topK != null && topK < 0) {
      throw new IllegalArgumentException("'top_k' must not be negative");
    }
    if (topK != null && topK <= 1) {
      temperature = 0.0; // moshi-server: top_k <= 1 samples greedily
    }
    Long maxSeqLen = optionalInteger(root, "max_seq_len");
    if (maxSeqLen != null && maxSeqLen < 1) {
      throw new IllegalArgumentException("'max_seq_len' must be positive");
    }
    Long seed = null;
    JsonNode s = root.get("seed");
    if (s != null && !s.isNull()) {
      if (!s.isIntegralNumber()) {
        throw new IllegalArgumentException("'seed' must be an integer");
      }
      seed = seedParam(s.bigIntegerValue().toString());
    }
    Double cfg = optionalNumber(root, "cfg_alpha");
    JsonNode ts = root.get("return_timestamps");
    if (ts != null && !ts.isNull() && !ts.isBoolean()) {
      throw new IllegalArgumentException("'return_timestamps' must be true or false");
    }
    boolean json = ts != null && ts.asBoolean(false);
    String fmt = optionalString(root, "format");
    if (fmt != null) {
      switch (fmt.toLowerCase(java.util.Locale.ROOT)) {
        case "json" -> json = true;
        case "wav" -> {}
        default ->
            throw new IllegalArgumentException(
                "'format' must be \"wav\" or \"json\", got '" + fmt + "'");
      }
    } else if (accept != null
        && accept.contains("application/json")
        && !accept.contains("audio/")) {
      json = true;
    }
    TtsOptions options =
        (voices != null ? TtsOptions.defaults().withVoices(voices) : TtsOptions.voice(voice))
            .withSampling(temperature == null ? null : temperature.floatValue(), seed)
            .withCfg(cfg);
    return new SpeechRequest(turns, options, json);
  }

  private static String optionalString(JsonNode root, String name) {
    JsonNode n = root.get(name);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw new IllegalArgumentException("'" + name + "' must be a string");
    }
    return n.textValue().isBlank() ? null : n.textValue();
  }

  private static Double optionalNumber(JsonNode root, String name) {
    JsonNode n = root.get(name);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isNumber() || !Double.isFinite(n.doubleValue())) {
      throw new IllegalArgumentException("'" + name + "' must be a number");
    }
    return n.doubleValue();
  }

  private static Long optionalInteger(JsonNode root, String name) {
    JsonNode n = root.get(name);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw new IllegalArgumentException("'" + name + "' must be an integer");
    }
    return n.longValue();
  }

  /**
   * One POSTed synthesis: claims a slot (waiting for one), collects the audio, answers at the end.
   */
  private final class PostSynthesis implements TtsListener {
    private final ChannelHandlerContext ctx;
    private final FullHttpRequest req; // retained until answered
    private final SpeechRequest request;
    private final long deadline;
    private final List<float[]> frames = new ArrayList<>(); // engine thread, then the event loop
    private final List<TtsWord> words = new ArrayList<>();
    private final ChannelFutureListener onDisconnect = f -> cancel();
    private volatile TtsSession session;
    private boolean answered; // event loop

    PostSynthesis(
        ChannelHandlerContext ctx, FullHttpRequest req, SpeechRequest request, long deadline) {
      this.ctx = ctx;
      this.req = req;
      this.request = request;
      this.deadline = deadline;
    }

    void submit() {
      try {
        OPENER.execute(this::attempt);
      } catch (RejectedExecutionException e) {
        answer(HttpResponseStatus.SERVICE_UNAVAILABLE, "server is shutting down");
      }
    }

    /** On the worker pool. */
    private void attempt() {
      if (!ctx.channel().isActive()) {
        onLoop(this::release);
        return;
      }
      try {
        TtsSession s = engine.synthesize(request.turns(), request.options(), this);
        session = s;
        ctx.channel().closeFuture().addListener(onDisconnect); // runs at once if already closed
      } catch (EngineFullException e) {
        if (System.nanoTime() < deadline && access.accepting().getAsBoolean()) {
          try {
            ctx.executor().schedule(this::submit, RETRY_MILLIS, TimeUnit.MILLISECONDS);
            return;
          } catch (RejectedExecutionException gone) {
            // the server is stopping: answer below
          }
        }
        metrics.rejected();
        answer(HttpResponseStatus.SERVICE_UNAVAILABLE, "no free channels: " + e.getMessage());
      } catch (IllegalArgumentException e) { // unknown voice, bad temperature, text too long
        answer(HttpResponseStatus.BAD_REQUEST, e.getMessage());
      } catch (IllegalStateException e) {
        answer(HttpResponseStatus.SERVICE_UNAVAILABLE, e.getMessage());
      } catch (RuntimeException e) {
        answer(HttpResponseStatus.INTERNAL_SERVER_ERROR, e.toString());
      }
    }

    private void cancel() {
      TtsSession s = session;
      if (s != null) {
        s.close();
      }
    }

    @Override
    public void onAudio(float[] pcm) {
      frames.add(pcm.clone());
    }

    @Override
    public void onWord(TtsWord word) {
      words.add(word);
    }

    @Override
    public void onClosed(String reason) {
      onLoop(
          () -> {
            ctx.channel().closeFuture().removeListener(onDisconnect);
            if (reason == null) {
              respondAudio();
            } else {
              answerNow(
                  reason.startsWith("server shutting down")
                      ? HttpResponseStatus.SERVICE_UNAVAILABLE
                      : HttpResponseStatus.INTERNAL_SERVER_ERROR,
                  reason);
            }
          });
    }

    private void respondAudio() {
      if (answered) {
        return;
      }
      float[] pcm = new float[frames.size() * TtsSocket.FRAME_SAMPLES];
      int at = 0;
      for (float[] f : frames) {
        System.arraycopy(f, 0, pcm, at, f.length);
        at += f.length;
      }
      frames.clear();
      ByteArrayOutputStream wav = new ByteArrayOutputStream(44 + 2 * at);
      try {
        WavWriter.write(
            wav, java.util.Arrays.copyOf(pcm, at), 1, ModelAudio.SAMPLE_RATE, WavEncoding.PCM_S16);
        byte[] body;
        String type;
        if (request.json()) {
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("wav", Base64.getEncoder().encodeToString(wav.toByteArray()));
          out.put(
              "transcript",
              words.stream()
                  .map(
                      w -> {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("text", w.text());
                        m.put("start_s", Math.round(w.startSeconds() * 1000) / 1000.0);
                        m.put("stop_s", Math.round(w.endSeconds() * 1000) / 1000.0);
                        return m;
                      })
                  .toList());
          body = JSON.writeValueAsBytes(out);
          type = "application/json";
        } else {
          body = wav.toByteArray();
          type = "audio/wav";
        }
        FullHttpResponse res =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        metrics.bytesOut(body.length);
        answered = true;
        HttpResponses.send(ctx, req, res);
        release();
      } catch (IOException e) {
        answerNow(
            HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot write the WAV: " + e.getMessage());
      }
    }

    /** From any thread. */
    private void answer(HttpResponseStatus status, String message) {
      onLoop(() -> answerNow(status, message));
    }

    private void answerNow(HttpResponseStatus status, String message) {
      if (answered) {
        return;
      }
      answered = true;
      if (ctx.channel().isActive()) {
        HttpResponses.respond(ctx, req, status, "text/plain", message + "\n");
      }
      release();
    }

    private void release() {
      if (req.refCnt() > 0) {
        req.release();
      }
    }

    private void onLoop(Runnable r) {
      try {
        ctx.executor().execute(r);
      } catch (RejectedExecutionException e) {
        release();
      }
    }
  }
}
