package dev.parley.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.audio.Pcm;
import dev.parley.server.dialogue.DialogueEngine;
import dev.parley.server.dialogue.DialogueListener;
import dev.parley.server.dialogue.DialogueOptions;
import dev.parley.server.dialogue.DialogueSession;
import dev.parley.server.dialogue.OutputFrame;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.metrics.EngineMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One {@code /v1/realtime} speech-to-speech session on the full-duplex dialogue model. The client's
 * appended audio (pcm16 24 kHz) is the user's channel; the model speaks whenever it likes, also
 * while the user talks. Its output is cut into responses: a response ({@code response.created})
 * starts at the first frame with text or audible sound ({@link #AUDIBLE_RMS}) and ends ({@code
 * response.done}) after {@link #QUIET_FRAMES} frames with neither; in between every frame goes out
 * as {@code response.output_audio.delta} (base64 pcm16 24 kHz) and its text as {@code
 * response.output_audio_transcript.delta}. {@code response.cancel} ends the current response
 * ({@code cancelled}) and mutes the model until it has been quiet again. The model reads no prompt:
 * {@code instructions} are reported as ignored.
 */
final class RealtimeDialogueSocket extends SimpleChannelInboundHandler<WebSocketFrame>
    implements DialogueListener {
  /** Output louder than this (RMS) counts as speech. */
  static final double AUDIBLE_RMS = 0.01;

  /** Quiet frames (80 ms each) that end a response: 1 s. */
  static final int QUIET_FRAMES = 13;

  private final Channel channel;
  private final DialogueEngine engine;
  private final EngineMetrics metrics;
  private final String model;
  private final String sessionId = "sess_" + UUID.randomUUID().toString().replace("-", "");
  private final RealtimeEvents out;
  private DialogueSession session;
  private String response; // the current response's id, or null
  private String item;
  private int quiet;
  private boolean muted;

  RealtimeDialogueSocket(
      Channel channel, DialogueEngine engine, EngineMetrics metrics, String model) {
    this.channel = channel;
    this.engine = engine;
    this.metrics = metrics;
    this.model = model;
    this.out = new RealtimeEvents(channel, metrics, sessionId);
  }

  void opened() {
    try {
      session = engine.open(DialogueOptions.defaults(ThreadLocalRandom.current().nextLong()), this);
    } catch (EngineFullException | IllegalStateException e) {
      metrics.rejected();
      out.error("server_error", "no_free_slot", "No free dialogue slot: " + e.getMessage(), null);
      close(1013, "no free slot");
      return;
    }
    out.send(out.event("session.created").with("session", sessionObject()));
  }

  private Map<String, Object> sessionObject() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("type", "realtime");
    s.put("id", sessionId);
    s.put("object", "realtime.session");
    s.put("model", model);
    s.put("output_modalities", java.util.List.of("audio"));
    Map<String, Object> pcm = Map.of("type", "audio/pcm", "rate", ModelAudio.SAMPLE_RATE);
    s.put("audio", Map.of("input", Map.of("format", pcm), "output", Map.of("format", pcm)));
    return s;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
    if (frame instanceof TextWebSocketFrame t) {
      metrics.bytesIn(frame.content().readableBytes());
      onText(t.text());
    } else if (frame instanceof PingWebSocketFrame) {
      ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
    } else if (frame instanceof CloseWebSocketFrame) {
      closeSession();
      ctx.writeAndFlush(frame.retainedDuplicate()).addListener(ChannelFutureListener.CLOSE);
    } else {
      out.error("invalid_request_error", "invalid_event", "Events are JSON in text frames", null);
    }
  }

  private void onText(String text) {
    if (session == null || out.isClosed()) {
      return;
    }
    JsonNode e;
    try {
      e = OpenAiHttp.JSON.readTree(text);
    } catch (Exception ex) {
      out.error("invalid_request_error", "invalid_json", "The event is not valid JSON", null);
      return;
    }
    if (e == null || !e.isObject() || !e.path("type").isTextual()) {
      out.error("invalid_request_error", "invalid_event", "An event needs a string 'type'", null);
      return;
    }
    String clientId = e.path("event_id").isTextual() ? e.path("event_id").asText() : null;
    switch (e.path("type").asText()) {
      case "input_audio_buffer.append" -> append(e.path("audio"), clientId);
      case "input_audio_buffer.commit", "input_audio_buffer.clear" -> {
        // Full duplex: the model hears the audio as it comes; there is no buffer to commit.
        out.send(
            out.event(
                    e.path("type").asText().endsWith("commit")
                        ? "input_audio_buffer.committed"
                        : "input_audio_buffer.cleared")
                .with("item_id", "item_" + UUID.randomUUID().toString().replace("-", "")));
      }
      case "response.cancel" -> {
        if (response != null) {
          done("cancelled");
          muted = true;
        }
      }
      case "session.update" -> {
        JsonNode s = e.path("session");
        String fmt = s.path("audio").path("input").path("format").path("type").asText(null);
        int rate = s.path("audio").path("input").path("format").path("rate").asInt(24000);
        if ((fmt != null && !fmt.equals("audio/pcm") && !fmt.equals("pcm16")) || rate != 24000) {
          out.error(
              "invalid_request_error",
              "invalid_value",
              "Speech-to-speech sessions take audio/pcm at 24000 Hz only",
              clientId);
          return;
        }
        RealtimeEvents.Event reply = out.event("session.updated").with("session", sessionObject());
        if (s.hasNonNull("instructions")) {
          reply.with("ignored", java.util.List.of("instructions")); // the model reads no prompt
        }
        out.send(reply);
      }
      default ->
          out.error(
              "invalid_request_error",
              "unknown_event",
              "Unsupported event type '" + e.path("type").asText() + "'",
              clientId);
    }
  }

  private void append(JsonNode a, String clientId) {
    byte[] bytes;
    try {
      if (!a.isTextual()) {
        throw new IllegalArgumentException("'audio' must be a base64 string");
      }
      bytes = Base64.getDecoder().decode(a.asText());
      if (bytes.length % 2 != 0) {
        throw new IllegalArgumentException("pcm16 audio must be whole 16-bit samples");
      }
    } catch (IllegalArgumentException ex) {
      out.error(
          "invalid_request_error", "invalid_audio", "Bad audio: " + ex.getMessage(), clientId);
      return;
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    float[] pcm = new float[bytes.length / 2];
    for (int i = 0; i < pcm.length; i++) {
      pcm[i] = b.getShort() / 32768f;
    }
    session.offerAudio(pcm, 0, pcm.length); // too fast for real time: the session ends with why
  }

  // ---- model output -----------------------------------------------------------------------------

  @Override
  public void onFrame(OutputFrame frame) {
    onLoop(() -> output(frame));
  }

  private void output(OutputFrame f) {
    if (out.isClosed()) {
      return;
    }
    boolean speaking = !f.text().isEmpty() || rms(f.pcm()) > AUDIBLE_RMS;
    quiet = speaking ? 0 : quiet + 1;
    if (muted) {
      muted = quiet < QUIET_FRAMES;
      return;
    }
    if (response == null) {
      if (!speaking) {
        return;
      }
      response = "resp_" + UUID.randomUUID().toString().replace("-", "");
      item = "item_" + UUID.randomUUID().toString().replace("-", "");
      out.send(out.event("response.created").with("response", responseObject("in_progress")));
    }
    ByteBuffer b = ByteBuffer.allocate(f.pcm().length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : f.pcm()) {
      b.putShort(Pcm.floatToS16(x));
    }
    out.send(
        delta("response.output_audio.delta")
            .with("delta", Base64.getEncoder().encodeToString(b.array())));
    if (!f.text().isEmpty()) {
      out.send(delta("response.output_audio_transcript.delta").with("delta", f.text()));
    }
    if (quiet >= QUIET_FRAMES) {
      done("completed");
    }
  }

  private RealtimeEvents.Event delta(String type) {
    return out.event(type)
        .with("response_id", response)
        .with("item_id", item)
        .with("output_index", 0)
        .with("content_index", 0);
  }

  private void done(String status) {
    out.send(out.event("response.done").with("response", responseObject(status)));
    response = null;
    item = null;
  }

  private Map<String, Object> responseObject(String status) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("id", response);
    r.put("object", "realtime.response");
    r.put("status", status);
    r.put("output", java.util.List.of());
    return r;
  }

  static double rms(float[] x) {
    double s = 0;
    for (float v : x) {
      s += v * v;
    }
    return Math.sqrt(s / Math.max(1, x.length));
  }

  @Override
  public void onClosed(String reason) {
    onLoop(
        () -> {
          if (reason != null && !out.isClosed()) {
            out.error("server_error", "session_closed", reason, null);
            close(1011, "session ended");
          }
        });
  }

  // ---- output ---------------------------------------------------------------------------------

  private void close(int code, String reason) {
    closeSession();
    out.close(code, reason);
  }

  private void closeSession() {
    if (session != null) {
      session.close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    out.markClosed();
    closeSession();
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    closeSession();
    ctx.close();
  }

  private void onLoop(Runnable r) {
    try {
      channel.eventLoop().execute(r);
    } catch (RejectedExecutionException e) {
      closeSession();
    }
  }
}
