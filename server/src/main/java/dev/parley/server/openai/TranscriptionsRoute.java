package dev.parley.server.openai;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.engine.MeteredFeed;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.stt.SttEngine;
import dev.parley.server.stt.SttListener;
import dev.parley.server.stt.SttOptions;
import dev.parley.server.stt.SttSession;
import dev.parley.server.stt.SttStep;
import dev.parley.server.stt.SttWord;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;

/**
 * {@code POST /v1/audio/transcriptions}: the uploaded file through an STT session at engine speed;
 * the transcript in the asked {@code response_format}, or with {@code stream=true} as Server-Sent
 * Events ({@code transcript.text.delta} per word as the engine finds it, then {@code
 * transcript.text.done} whose text is the deltas joined).
 */
final class TranscriptionsRoute {
  /** Largest request body: OpenAI's 25 MB upload limit. */
  static final int MAX_BODY_BYTES = 25_000_000;

  private final SttEngine engine;
  private final HostedModels models;
  private final EngineMetrics metrics;
  private final int maxQueuedFrames;

  TranscriptionsRoute(
      SttEngine engine, HostedModels models, EngineMetrics metrics, int maxQueuedFrames) {
    this.engine = engine;
    this.models = models;
    this.metrics = metrics;
    this.maxQueuedFrames = maxQueuedFrames;
  }

  void handle(ChannelHandlerContext ctx, FullHttpRequest req) {
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    int size = req.content().readableBytes();
    metrics.bytesIn(size);
    if (OpenAiHttp.refusedAsTooLarge(ctx, size, MAX_BODY_BYTES, "upload", "file")) {
      return;
    }
    TranscriptionRequest request;
    try {
      request = TranscriptionRequest.parse(req);
    } catch (InvalidRequest e) {
      OpenAiHttp.error(ctx, keepAlive, e.error);
      return;
    }
    if (models.forTranscription(request.model()) == null) {
      OpenAiHttp.error(
          ctx,
          keepAlive,
          OpenAiError.unknownModel(request.model(), HostedModels.TRANSCRIPTIONS, models.ids()));
      return;
    }
    float[] pcm;
    try {
      pcm = UploadedAudio.decode(request.file());
    } catch (AudioFormatException e) {
      OpenAiHttp.error(
          ctx, keepAlive, OpenAiError.badRequest(e.getMessage(), "file", "unsupported_format"));
      return;
    } catch (IOException | IllegalArgumentException e) {
      OpenAiHttp.error(
          ctx,
          keepAlive,
          OpenAiError.badRequest(
              "The audio file could not be decoded: " + e.getMessage(), "file", "invalid_value"));
      return;
    }
    Job job = new Job(ctx, keepAlive, request, pcm);
    try {
      job.session = engine.open(SttOptions.defaults(), job);
    } catch (EngineFullException e) {
      metrics.rejected();
      OpenAiHttp.error(
          ctx,
          keepAlive,
          OpenAiError.unavailable("No free transcription slot: " + e.getMessage(), "no_free_slot"));
      return;
    } catch (IllegalStateException e) {
      OpenAiHttp.error(ctx, keepAlive, OpenAiError.unavailable(e.getMessage(), "shutting_down"));
      return;
    }
    ctx.channel().closeFuture().addListener(job.onDisconnect);
    if (request.stream()) {
      ctx.writeAndFlush(OpenAiHttp.streamHead("text/event-stream", keepAlive));
    }
    job.pump();
  }

  /** One upload: fed as the session's queue frees, answered from the engine's events. */
  private final class Job implements SttListener {
    private final ChannelHandlerContext ctx;
    private final boolean keepAlive;
    private final TranscriptionRequest request;
    private final double seconds;
    private final MeteredFeed feed = new MeteredFeed();
    private final ChannelFutureListener onDisconnect = f -> close();
    private final StringBuilder streamed = new StringBuilder(); // event loop
    private volatile SttSession session;
    private boolean ended; // guarded by this
    private volatile List<SttWord> words = List.of();

    Job(ChannelHandlerContext ctx, boolean keepAlive, TranscriptionRequest request, float[] pcm) {
      this.ctx = ctx;
      this.keepAlive = keepAlive;
      this.request = request;
      this.seconds = ModelAudio.seconds(pcm.length);
      feed.addAudio(pcm, 0, pcm.length);
    }

    synchronized void pump() {
      if (session != null && !ended && feed.pumpInto(session, MeteredFeed.room(maxQueuedFrames))) {
        ended = true;
        session.endOfInput();
      }
    }

    private void close() {
      SttSession s = session;
      if (s != null) {
        s.close();
      }
    }

    @Override
    public void onStep(SttStep step) {
      pump();
    }

    @Override
    public void onWord(int index, String text, double startSeconds) {
      if (request.stream()) {
        onLoop(
            () -> {
              String delta = streamed.isEmpty() ? text : " " + text;
              streamed.append(delta);
              Map<String, Object> e = new LinkedHashMap<>();
              e.put("type", "transcript.text.delta");
              e.put("delta", delta);
              write(OpenAiHttp.sse(e));
            });
      }
    }

    @Override
    public void onTranscript(List<SttWord> transcript) {
      words = transcript;
    }

    @Override
    public void onClosed(String reason) {
      onLoop(
          () -> {
            ctx.channel().closeFuture().removeListener(onDisconnect);
            if (!ctx.channel().isActive()) {
              return;
            }
            if (request.stream()) {
              finishStream(reason);
            } else if (reason != null) {
              OpenAiHttp.error(ctx, keepAlive, failure(reason));
            } else {
              answer();
            }
          });
    }

    private OpenAiError failure(String reason) {
      return reason.startsWith("server shutting down")
          ? OpenAiError.unavailable(reason, "shutting_down")
          : OpenAiError.internal(reason);
    }

    private void finishStream(String reason) {
      if (reason != null) {
        // The head is out: the error travels as an event, as OpenAI's streams report failures.
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", "error");
        e.put("error", failure(reason).fields());
        write(OpenAiHttp.sse(e));
      } else {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", "transcript.text.done");
        e.put("text", streamed.toString());
        write(OpenAiHttp.sse(e));
      }
      OpenAiHttp.endStream(ctx, keepAlive);
    }

    private void answer() {
      List<SttWord> w = words;
      String body;
      String type = "application/json";
      switch (request.responseFormat()) {
        case "text" -> {
          body = TranscriptFormats.text(w) + "\n";
          type = "text/plain; charset=utf-8";
        }
        case "srt" -> {
          body = TranscriptFormats.srt(w);
          type = "text/plain; charset=utf-8";
        }
        case "vtt" -> {
          body = TranscriptFormats.vtt(w);
          type = "text/vtt; charset=utf-8";
        }
        case "verbose_json" ->
            body =
                OpenAiHttp.json(
                    TranscriptFormats.verbose(
                        w,
                        seconds,
                        request.language() == null ? "english" : request.language(),
                        request.wantsWords(),
                        request.wantsSegments()));
        default -> body = OpenAiHttp.json(TranscriptFormats.json(w));
      }
      metrics.bytesOut(body.length());
      OpenAiHttp.respond(ctx, keepAlive, HttpResponseStatus.OK, type, body);
    }

    private void write(byte[] bytes) {
      metrics.bytesOut(bytes.length);
      ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes)));
    }

    private void onLoop(Runnable r) {
      try {
        ctx.executor().execute(r);
      } catch (RejectedExecutionException e) {
        close();
      }
    }
  }
}
