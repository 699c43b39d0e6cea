package dev.parley.server.openai;

import dev.parley.server.engine.EngineFullException;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.tts.TtsEngine;
import dev.parley.server.tts.TtsListener;
import dev.parley.server.tts.TtsOptions;
import dev.parley.server.tts.TtsSession;
import dev.parley.server.tts.TtsSummary;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * {@code POST /v1/audio/speech}: one TTS session; the audio streams out chunked as the engine makes
 * it ({@code stream_format=audio}), or as Server-Sent Events {@code speech.audio.delta} (base64
 * audio in the asked format) and {@code speech.audio.done}. {@code speed} and {@code instructions}
 * are accepted but the TTS model has no control for them; the answer's {@code parley-ignored}
 * header says which were ignored.
 */
final class SpeechRoute {
  /** Largest request body: 4096 characters of input with room for JSON escapes. */
  static final int MAX_BODY_BYTES = 64 << 10;

  private final TtsEngine engine;
  private final HostedModels models;
  private final VoiceTable voices;
  private final EngineMetrics metrics;
  private final Executor opener;

  SpeechRoute(
      TtsEngine engine,
      HostedModels models,
      VoiceTable voices,
      EngineMetrics metrics,
      Executor opener) {
    this.engine = engine;
    this.models = models;
    this.voices = voices;
    this.metrics = metrics;
    this.opener = opener;
  }

  void handle(ChannelHandlerContext ctx, FullHttpRequest req) {
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    int size = req.content().readableBytes();
    metrics.bytesIn(size);
    if (OpenAiHttp.refusedAsTooLarge(ctx, size, MAX_BODY_BYTES, "body", null)) {
      return;
    }
    SpeechRequest request;
    try {
      request = SpeechRequest.parse(ByteBufUtil.getBytes(req.content()));
    } catch (InvalidRequest e) {
      OpenAiHttp.error(ctx, keepAlive, e.error);
      return;
    }
    if (models.forSpeech(request.model()) == null) {
      OpenAiHttp.error(
          ctx,
          keepAlive,
          OpenAiError.unknownModel(request.model(), HostedModels.SPEECH, models.ids()));
      return;
    }
    Job job = new Job(ctx, keepAlive, request);
    try {
      opener.execute(job::open); // a named voice may be read from disk: not on the event loop
    } catch (RejectedExecutionException e) {
      OpenAiHttp.error(
          ctx, keepAlive, OpenAiError.unavailable("server is shutting down", "shutting_down"));
    }
  }

  /** One synthesis streamed to its client. Everything but {@link #open} runs on the event loop. */
  private final class Job implements TtsListener {
    private final ChannelHandlerContext ctx;
    private final boolean keepAlive;
    private final SpeechRequest request;
    private final SpeechEncoder encoder;
    private final ChannelFutureListener onDisconnect = f -> cancel();
    private volatile TtsSession session;
    private boolean started;
    private boolean done;
    private long frames;

    Job(ChannelHandlerContext ctx, boolean keepAlive, SpeechRequest request) {
      this.ctx = ctx;
      this.keepAlive = keepAlive;
      this.request = request;
      this.encoder = new SpeechEncoder(request.format());
    }

    /** On the opener pool. */
    void open() {
      String voice = voices.resolve(request.voice(), engine.voices().names());
      TtsSession s;
      try {
        s =
            engine.synthesize(
                List.of(request.input()),
                TtsOptions.voice(voice).withSampling(request.temperature(), request.seed()),
                this);
      } catch (EngineFullException e) {
        metrics.rejected();
        fail(OpenAiError.unavailable("No free speech slot: " + e.getMessage(), "no_free_slot"));
        return;
      } catch (IllegalArgumentException e) { // unknown voice, text too long
        fail(
            OpenAiError.badRequest(
                e.getMessage(), request.voice() != null ? "voice" : "input", "invalid_value"));
        return;
      } catch (IllegalStateException e) {
        fail(OpenAiError.unavailable(e.getMessage(), "shutting_down"));
        return;
      }
      session = s;
      s.setOutputReady(ctx.channel()::isWritable);
      ctx.channel().closeFuture().addListener(onDisconnect); // at once if already closed
      onLoop(this::start);
    }

    private void fail(OpenAiError e) {
      onLoop(() -> OpenAiHttp.error(ctx, keepAlive, e));
    }

    private void cancel() {
      TtsSession s = session;
      if (s != null) {
        s.close();
      }
    }

    private void start() {
      if (started) {
        return;
      }
      started = true;
      HttpResponse head =
          OpenAiHttp.streamHead(
              request.sse() ? "text/event-stream" : request.format().contentType, keepAlive);
      List<String> ignored = new ArrayList<>();
      if (request.speed() != 1.0) {
        ignored.add("speed");
      }
      if (request.instructions() != null && !request.instructions().isBlank()) {
        ignored.add("instructions");
      }
      if (!ignored.isEmpty()) {
        head.headers().set("parley-ignored", String.join(", ", ignored));
      }
      ctx.write(head);
      send(encoder.start());
    }

    @Override
    public void onAudio(float[] pcm) {
      float[] copy = pcm.clone();
      onLoop(
          () -> {
            start();
            frames++;
            send(encoder.encode(copy));
          });
    }

    @Override
    public void onEnd(TtsSummary summary) {}

    @Override
    public void onClosed(String reason) {
      onLoop(
          () -> {
            ctx.channel().closeFuture().removeListener(onDisconnect);
            if (done || !ctx.channel().isActive()) {
              return;
            }
            done = true;
            if (reason != null && !started) {
              OpenAiHttp.error(ctx, keepAlive, OpenAiError.internal(reason));
              return;
            }
            start();
            if (reason != null) {
              ctx.close(); // the head is out: a cut stream is how the client learns of it
              return;
            }
            send(encoder.finish());
            if (request.sse()) {
              Map<String, Object> usage = new LinkedHashMap<>();
              long words = request.input().strip().split("\\s+").length;
              usage.put("input_tokens", words);
              usage.put("output_tokens", frames);
              usage.put("total_tokens", words + frames);
              Map<String, Object> e = new LinkedHashMap<>();
              e.put("type", "speech.audio.done");
              e.put("usage", usage);
              write(OpenAiHttp.sse(e));
            }
            OpenAiHttp.endStream(ctx, keepAlive);
          });
    }

    /** Audio bytes: as they are, or as one {@code speech.audio.delta}. */
    private void send(byte[] audio) {
      if (audio.length == 0) {
        return;
      }
      if (request.sse()) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", "speech.audio.delta");
        e.put("audio", Base64.getEncoder().encodeToString(audio));
        write(OpenAiHttp.sse(e));
      } else {
        write(audio);
      }
    }

    private void write(byte[] bytes) {
      metrics.bytesOut(bytes.length);
      ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes)))
          .addListener(
              f -> {
                TtsSession s = session;
                if (s != null && ctx.channel().isWritable()) {
                  s.wakeUp(); // the engine holds this session while the socket is full
                }
              });
    }

    private void onLoop(Runnable r) {
      try {
        ctx.executor().execute(r);
      } catch (RejectedExecutionException e) {
        cancel();
      }
    }
  }
}
