package dev.parley.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.opus.OggOpusReader;
import dev.parley.codec.resample.StreamingResampler;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavReader;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.stt.AsrMessages;
import dev.parley.server.engine.MeteredFeed;
import dev.parley.server.stt.SttEngine;
import dev.parley.server.stt.SttListener;
import dev.parley.server.stt.SttOptions;
import dev.parley.server.stt.SttSession;
import dev.parley.server.stt.SttStep;
import dev.parley.server.stt.SttWord;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * {@code /api/asr-streaming}: GET upgrades to moshi-server's streaming STT WebSocket protocol
 * ({@link AsrSocket}); POST takes a whole WAV or Ogg Opus file and answers its transcript as JSON.
 */
final class TranscriptionRoutes {
  static final String PATH = "/api/asr-streaming";
  private static final ObjectMapper JSON = new ObjectMapper();
  /** moshi-server pings every 10 s. */
  private static final int PING_SECONDS = 10;

  private final SttEngine engine; // null without a transcription model
  private final ServerConfig config;
  private final EngineMetrics metrics;
  private final BooleanSupplier accepting;
  private final AsrMessages codec = AsrMessages.withDefaults();

  TranscriptionRoutes(SttEngine engine, ServerConfig config, EngineMetrics metrics, BooleanSupplier accepting) {
    this.engine = engine;
    this.config = config;
    this.metrics = metrics;
    this.accepting = accepting;
  }

  void handle(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q, ChannelHandler router)
      throws Exception {
    if (engine == null) {
      HttpRouter.respond(ctx, req, HttpResponseStatus.NOT_FOUND, "text/plain",
          "this server hosts no transcription model (start it with --stt-model)\n");
      return;
    }
    if (!config.apiKeys().allows(req.headers(), q)) {
      metrics.rejected();
      HttpRouter.respond(ctx, req, HttpResponseStatus.UNAUTHORIZED, "text/plain",
          "missing or wrong API key (Authorization: Bearer, kyutai-api-key, or auth_id)\n");
      return;
    }
    if (!accepting.getAsBoolean()) {
      HttpRouter.respond(ctx, req, HttpResponseStatus.SERVICE_UNAVAILABLE, "text/plain", "server is shutting down\n");
      return;
    }
    if (req.method() == HttpMethod.POST) {
      transcribeFile(ctx, req);
    } else if ("websocket".equalsIgnoreCase(req.headers().get(HttpHeaderNames.UPGRADE))) {
      upgrade(ctx, req, router);
    } else {
      HttpRouter.respond(ctx, req, HttpResponseStatus.BAD_REQUEST, "text/plain",
          PATH + ": open a WebSocket, or POST a WAV or Ogg Opus file\n");
    }
  }

  private void upgrade(ChannelHandlerContext ctx, FullHttpRequest req, ChannelHandler router) {
    String scheme = config.tlsCert() != null ? "wss" : "ws";
    WebSocketServerHandshaker hs = new WebSocketServerHandshakerFactory(
        scheme + "://" + req.headers().get(HttpHeaderNames.HOST) + PATH, null, true, config.maxMessageBytes())
        .newHandshaker(req);
    if (hs == null) {
      WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
      return;
    }
    AsrSocket socket = new AsrSocket(ctx.channel(), metrics, codec, config.maxQueuedFrames(), engine.pauseHeads() > 0);
    hs.handshake(ctx.channel(), req).addListener(f -> {
      if (!f.isSuccess()) {
        ctx.close();
        return;
      }
      ctx.pipeline().addBefore(ctx.name(), "idle", new IdleStateHandler(config.idleTimeout().toSeconds(),
          PING_SECONDS, 0, TimeUnit.SECONDS));
      ctx.pipeline().replace(router, "asr", socket);
      try {
        socket.start(engine.open(SttOptions.defaults(), socket));
      } catch (EngineFullException e) {
        metrics.rejected();
        socket.fail("no free channels: " + e.getMessage());
      }
    });
  }

  /** The whole file through a session at engine speed; answers once the transcript is complete. */
  private void transcribeFile(ChannelHandlerContext ctx, FullHttpRequest req) {
    byte[] body = ByteBufUtil.getBytes(req.content());
    metrics.bytesIn(body.length);
    float[] pcm;
    try {
      pcm = decodeFile(body);
    } catch (IOException | IllegalArgumentException e) {
      HttpRouter.respond(ctx, req, HttpResponseStatus.BAD_REQUEST, "text/plain",
          "cannot read the audio: " + e.getMessage() + "\n");
      return;
    }
    FileTranscription job = new FileTranscription(ctx, req.retain(), pcm);
    try {
      job.session = engine.open(SttOptions.defaults(), job);
    } catch (EngineFullException e) {
      req.release();
      metrics.rejected();
      HttpRouter.respond(ctx, req, HttpResponseStatus.SERVICE_UNAVAILABLE, "text/plain", e.getMessage() + "\n");
      return;
    }
    job.pump();
  }

  /** A WAV (any rate, resampled) or an Ogg Opus file, to 24 kHz mono. */
  static float[] decodeFile(byte[] body) throws IOException {
    if (body.length >= 4 && body[0] == 'O' && body[1] == 'g' && body[2] == 'g' && body[3] == 'S') {
      List<float[]> parts = new ArrayList<>();
      OggOpusReader reader = new OggOpusReader(24000, (p, off, len) -> parts.add(java.util.Arrays.copyOfRange(p, off,
          off + len)));
      reader.feed(body);
      reader.finish();
      return concat(parts);
    }
    if (body.length >= 4 && body[0] == 'R' && body[1] == 'I' && body[2] == 'F' && body[3] == 'F') {
      WavAudio wav = WavReader.read(new ByteArrayInputStream(body));
      return StreamingResampler.resample(wav.samples(), wav.sampleRate(), 24000);
    }
    throw new AudioFormatException("the body is neither a WAV (RIFF) nor an Ogg Opus (OggS) file");
  }

  private static float[] concat(List<float[]> parts) {
    float[] all = new float[parts.stream().mapToInt(p -> p.length).sum()];
    int at = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }

  /** One POSTed file: fed as the session's queue frees, answered from the engine's events. */
  private final class FileTranscription implements SttListener {
    private final ChannelHandlerContext ctx;
    private final FullHttpRequest req;
    private final double seconds;
    private final MeteredFeed feed = new MeteredFeed();
    private SttSession session;
    private boolean ended;
    private List<SttWord> words = List.of();

    FileTranscription(ChannelHandlerContext ctx, FullHttpRequest req, float[] pcm) {
      this.ctx = ctx;
      this.req = req;
      this.seconds = pcm.length / 24000.0;
      feed.addAudio(pcm, 0, pcm.length);
    }

    synchronized void pump() {
      if (session != null && !ended && feed.pumpInto(session, MeteredFeed.room(config.maxQueuedFrames()))) {
        ended = true;
        session.endOfInput();
      }
    }

    @Override
    public void onStep(SttStep step) {
      pump();
    }

    @Override
    public void onWord(int index, String text, double startSeconds) {}

    @Override
    public void onTranscript(List<SttWord> transcript) {
      words = transcript;
    }

    @Override
    public void onClosed(String reason) {
      ctx.executor().execute(() -> {
        try {
          if (reason != null) {
            HttpRouter.respond(ctx, req, reason.startsWith("server shutting down")
                ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.INTERNAL_SERVER_ERROR,
                "text/plain", reason + "\n");
            return;
          }
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("model", engine.model().name());
          out.put("duration_s", seconds);
          out.put("text", String.join(" ", words.stream().map(SttWord::text).toList()));
          out.put("words", words.stream().map(w -> Map.of("text", w.text(), "start_s", w.startSeconds(),
              "end_s", w.endSeconds())).toList());
          String json = JSON.writeValueAsString(out);
          metrics.bytesOut(json.length());
          HttpRouter.respond(ctx, req, HttpResponseStatus.OK, "application/json", json);
        } catch (IOException e) {
          HttpRouter.respond(ctx, req, HttpResponseStatus.INTERNAL_SERVER_ERROR, "text/plain", e.getMessage());
        } finally {
          req.release();
        }
      });
    }
  }
}
