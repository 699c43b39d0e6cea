package dev.parley.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.opus.OggOpusReader;
import dev.parley.codec.resample.StreamingResampler;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavReader;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.engine.MeteredFeed;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.stt.SttEngine;
import dev.parley.server.stt.SttListener;
import dev.parley.server.stt.SttOptions;
import dev.parley.server.stt.SttSession;
import dev.parley.server.stt.SttStep;
import dev.parley.server.stt.SttWord;
import dev.parley.server.wire.AsrMessages;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /api/asr-streaming}: GET upgrades to moshi-server's streaming STT WebSocket protocol
 * ({@link AsrSocket}); POST takes a whole WAV or Ogg Opus file and answers its transcript as JSON.
 */
final class TranscriptionRoutes {
  static final String PATH = "/api/asr-streaming";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Longest file one POST may hold (decoded audio is held whole while it is transcribed). */
  static final int MAX_FILE_SECONDS = 600;

  private final SttEngine engine; // null without a transcription model
  private final RouteAccess access;
  private final ServerConfig config;
  private final EngineMetrics metrics;
  private final AsrMessages codec = AsrMessages.withDefaults();

  TranscriptionRoutes(SttEngine engine, RouteAccess access) {
    this.engine = engine;
    this.access = access;
    this.config = access.config();
    this.metrics = access.metrics();
  }

  void handle(
      ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q, ChannelHandler router) {
    if (!access.admits(
        ctx,
        req,
        q,
        engine != null,
        "this server hosts no transcription model (start it with --stt-model)\n",
        /* checkAccepting= */ !RouteAccess.isUpgrade(req))) { // a socket hears "draining" as Error

      return;
    }
    if (req.method() == HttpMethod.POST) {
      transcribeFile(ctx, req);
    } else if (RouteAccess.isUpgrade(req)) {
      new AsrSocket(
              ctx.channel(), metrics, config.idleTimeout(), config.maxQueuedFrames(), engine, codec)
          .upgrade(ctx, req, router, PATH, config.tlsCert() != null, config.maxMessageBytes());
    } else {
      HttpResponses.text(
          ctx,
          req,
          HttpResponseStatus.BAD_REQUEST,
          PATH + ": open a WebSocket, or POST a WAV or Ogg Opus file\n");
    }
  }

  /** The whole file through a session at engine speed; answers once the transcript is complete. */
  private void transcribeFile(ChannelHandlerContext ctx, FullHttpRequest req) {
    byte[] body = ByteBufUtil.getBytes(req.content());
    metrics.bytesIn(body.length);
    float[] pcm;
    try {
      pcm = decodeFile(body);
    } catch (IOException | IllegalArgumentException e) {
      HttpResponses.respond(
          ctx,
          req,
          HttpResponseStatus.BAD_REQUEST,
          "text/plain",
          "cannot read the audio: " + e.getMessage() + "\n");
      return;
    }
    FileTranscription job = new FileTranscription(ctx, req.retain(), pcm);
    try {
      job.session = engine.open(SttOptions.defaults(), job);
    } catch (EngineFullException e) {
      req.release();
      metrics.rejected();
      HttpResponses.respond(
          ctx, req, HttpResponseStatus.SERVICE_UNAVAILABLE, "text/plain", e.getMessage() + "\n");
      return;
    }
    job.pump();
  }

  /**
   * A WAV (any rate, resampled) or an Ogg Opus file, to 24 kHz mono, at most {@link
   * #MAX_FILE_SECONDS} long (an Ogg file stops being decoded once past it); every sample finite.
   */
  static float[] decodeFile(byte[] body) throws IOException {
    float[] pcm;
    if (body.length >= 4 && body[0] == 'O' && body[1] == 'g' && body[2] == 'g' && body[3] == 'S') {
      List<float[]> parts = new ArrayList<>();
      long[] total = {0};
      OggOpusReader reader =
          new OggOpusReader(
              ModelAudio.SAMPLE_RATE,
              (p, off, len) -> {
                total[0] += len;
                if (total[0] > (long) MAX_FILE_SECONDS * ModelAudio.SAMPLE_RATE) {
                  throw tooLong();
                }
                parts.add(java.util.Arrays.copyOfRange(p, off, off + len));
              });
      reader.feed(body);
      reader.finish();
      pcm = concat(parts);
    } else if (body.length >= 4
        && body[0] == 'R'
        && body[1] == 'I'
        && body[2] == 'F'
        && body[3] == 'F') {
      WavAudio wav = WavReader.read(new ByteArrayInputStream(body));
      if (wav.durationSeconds() > MAX_FILE_SECONDS) {
        throw tooLong();
      }
      pcm = StreamingResampler.resample(wav.samples(), wav.sampleRate(), ModelAudio.SAMPLE_RATE);
    } else {
      throw new AudioFormatException(
          "the body is neither a WAV (RIFF) nor an Ogg Opus (OggS) file");
    }
    for (int i = 0; i < pcm.length; i++) {
      if (!Float.isFinite(pcm[i])) {
        throw new IllegalArgumentException(
            "audio sample " + i + " is " + pcm[i] + ": samples must be finite");
      }
    }
    return pcm;
  }

  private static IllegalArgumentException tooLong() {
    return new IllegalArgumentException(
        "the audio is longer than " + MAX_FILE_SECONDS + " s, the most one request may hold");
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
      this.seconds = ModelAudio.seconds(pcm.length);
      feed.addAudio(pcm, 0, pcm.length);
    }

    synchronized void pump() {
      if (session != null
          && !ended
          && feed.pumpInto(session, MeteredFeed.room(config.maxQueuedFrames()))) {
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
      ctx.executor()
          .execute(
              () -> {
                try {
                  if (reason != null) {
                    HttpResponses.respond(
                        ctx,
                        req,
                        reason.startsWith("server shutting down")
                            ? HttpResponseStatus.SERVICE_UNAVAILABLE
                            : HttpResponseStatus.INTERNAL_SERVER_ERROR,
                        "text/plain",
                        reason + "\n");
                    return;
                  }
                  Map<String, Object> out = new LinkedHashMap<>();
                  out.put("model", engine.model().name());
                  out.put("duration_s", seconds);
                  out.put("text", String.join(" ", words.stream().map(SttWord::text).toList()));
                  out.put(
                      "words",
                      words.stream()
                          .map(
                              w ->
                                  Map.of(
                                      "text",
                                      w.text(),
                                      "start_s",
                                      toMs(w.startSeconds()),
                                      "end_s",
                                      toMs(w.endSeconds())))
                          .toList());
                  String json = JSON.writeValueAsString(out);
                  metrics.bytesOut(json.length());
                  HttpResponses.respond(ctx, req, HttpResponseStatus.OK, "application/json", json);
                } catch (IOException e) {
                  HttpResponses.respond(
                      ctx,
                      req,
                      HttpResponseStatus.INTERNAL_SERVER_ERROR,
                      "text/plain",
                      e.getMessage());
                } finally {
                  req.release();
                }
              });
    }
  }

  /** Seconds rounded to the millisecond: 0.42, not 0.41999999999999993. */
  private static double toMs(double seconds) {
    return Math.round(seconds * 1000) / 1000.0;
  }
}
