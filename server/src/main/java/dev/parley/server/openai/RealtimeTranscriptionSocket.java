package dev.parley.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
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
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;

/**
 * One {@code /v1/realtime} transcription session over the STT engine. Each item is one STT session
 * (one slot): the client appends audio ({@code input_audio_buffer.append}), the engine transcribes
 * it as it arrives and each word goes out as {@code
 * conversation.item.input_audio_transcription.delta}. An item starts with its first word ({@code
 * input_audio_buffer.speech_started}) and ends when the model's pause prediction signals the end of
 * the turn ({@code server_vad}) or when the client commits: its session then ends its input, so the
 * last words come out as for a whole file, and {@code speech_stopped}, {@code committed} and {@code
 * completed} follow, whose transcript is the item's deltas joined. Audio appended meanwhile waits
 * for the next item's session, opened as soon as the slot is free.
 *
 * <p>Bad input (malformed JSON, unknown event types, bad base64, a wrong audio format) gets an
 * {@code error} event and the session goes on. RealtimeEvents.Event loop only, except the engine
 * callbacks.
 */
final class RealtimeTranscriptionSocket extends SimpleChannelInboundHandler<WebSocketFrame> {
  /** Decoded audio held back before the socket stops reading. */
  static final double MAX_PENDING_SECONDS = 2.0;

  private final Channel channel;
  private final SttEngine engine;
  private final EngineMetrics metrics;
  private final String model;
  private final int room;
  private MeteredFeed feed = new MeteredFeed(); // appended audio not yet in a session
  private final String sessionId = "sess_" + UUID.randomUUID().toString().replace("-", "");
  private final RealtimeEvents out;
  private Segment segment; // the STT session of the current item
  private RealtimeAudio audio = new RealtimeAudio(RealtimeAudio.Format.PCM16);
  private boolean serverVad = true;
  private boolean commitQueued;
  private boolean appendedSinceCommit;
  private long samplesTaken; // by the segments before the current one
  private String previousItem;

  RealtimeTranscriptionSocket(
      Channel channel, SttEngine engine, EngineMetrics metrics, String model, int maxQueuedFrames) {
    this.channel = channel;
    this.engine = engine;
    this.metrics = metrics;
    this.model = model;
    this.out = new RealtimeEvents(channel, metrics, sessionId);
    this.room = MeteredFeed.room(maxQueuedFrames);
  }

  /** The handshake is done: claim a slot and greet. */
  void opened() {
    if (openSegment()) {
      out.send(out.event("session.created").with("session", sessionObject()));
    }
  }

  /** A fresh STT session for the next item; false (and the socket closing) if none is free. */
  private boolean openSegment() {
    Segment next = new Segment(samplesTaken);
    try {
      next.session = engine.open(SttOptions.defaults(), next);
    } catch (EngineFullException | IllegalStateException e) {
      metrics.rejected();
      out.error(
          "server_error", "no_free_slot", "No free transcription slot: " + e.getMessage(), null);
      close(1013, "no free slot");
      return false;
    }
    segment = next;
    if (commitQueued) {
      commitQueued = false;
      endItem();
    }
    pump();
    return true;
  }

  // ---- client events --------------------------------------------------------------------------

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
      out.error(
          "invalid_request_error",
          "invalid_event",
          "Realtime events are JSON in text frames; got a binary frame",
          null);
    }
  }

  private void onText(String text) {
    if (segment == null || out.isClosed()) {
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
      out.error(
          "invalid_request_error",
          "invalid_event",
          "An event is a JSON object with a string 'type'",
          null);
      return;
    }
    String clientId = e.path("event_id").isTextual() ? e.path("event_id").asText() : null;
    switch (e.path("type").asText()) {
      case "input_audio_buffer.append" -> append(e, clientId);
      case "input_audio_buffer.commit" -> commit(clientId);
      case "input_audio_buffer.clear" -> {
        feed = new MeteredFeed(); // what the engine has not taken yet
        appendedSinceCommit = false;
        out.send(out.event("input_audio_buffer.cleared"));
      }
      case "session.update" -> update(e.path("session"), clientId, "session.updated");
      case "transcription_session.update" ->
          update(e.path("session"), clientId, "transcription_session.updated");
      default ->
          out.error(
              "invalid_request_error",
              "unknown_event",
              "Unsupported event type '"
                  + e.path("type").asText()
                  + "' in a transcription session: use session.update,"
                  + " input_audio_buffer.append, input_audio_buffer.commit or"
                  + " input_audio_buffer.clear",
              clientId);
    }
  }

  private void append(JsonNode e, String clientId) {
    JsonNode a = e.path("audio");
    if (!a.isTextual()) {
      out.error(
          "invalid_request_error", "missing_audio", "'audio' must be a base64 string", clientId);
      return;
    }
    float[] pcm;
    try {
      pcm = audio.decode(Base64.getDecoder().decode(a.asText()));
    } catch (IllegalArgumentException ex) {
      out.error(
          "invalid_request_error", "invalid_audio", "Bad audio: " + ex.getMessage(), clientId);
      return;
    }
    feed.addAudio(pcm, 0, pcm.length);
    appendedSinceCommit |= pcm.length > 0;
    pump();
  }

  private void commit(String clientId) {
    if (!appendedSinceCommit && (segment == null || segment.item == null)) {
      out.error(
          "invalid_request_error",
          "input_audio_buffer_commit_empty",
          "Nothing to commit: no audio since the last commit",
          clientId);
      return;
    }
    appendedSinceCommit = false;
    endItem();
  }

  /**
   * The current item is complete: its session takes the audio appended so far, then ends its input
   * (so its last words come out, as for a whole file); audio appended from now on waits for the
   * next item's session, opened once this one is done.
   */
  private void endItem() {
    if (segment == null) {
      return;
    }
    if (segment.tail != null) {
      commitQueued = true; // for the next item's session, once it opens
      return;
    }
    segment.taken += feed.pendingSamples();
    segment.tail = feed;
    feed = new MeteredFeed();
    pump();
  }

  private void update(JsonNode s, String clientId, String reply) {
    if (!s.isObject()) {
      out.error(
          "invalid_request_error", "invalid_session", "'session' must be an object", clientId);
      return;
    }
    // Beta names at the top level, GA names under audio.input.
    JsonNode in = s.path("audio").path("input");
    JsonNode fmt = in.path("format");
    String name = null;
    Integer rate = null;
    if (fmt.isObject()) {
      name = fmt.path("type").asText(null);
      rate = fmt.path("rate").isNumber() ? fmt.path("rate").asInt() : null;
    } else if (s.path("input_audio_format").isTextual()) {
      name = s.path("input_audio_format").asText();
    }
    RealtimeAudio.Format f = audio.format();
    if (name != null) {
      f = RealtimeAudio.Format.of(name);
      if (f == null) {
        out.error(
            "invalid_request_error",
            "invalid_value",
            "Unsupported input audio format '"
                + name
                + "': use pcm16 (audio/pcm, 24 kHz), g711_ulaw (audio/pcmu) or g711_alaw"
                + " (audio/pcma)",
            clientId);
        return;
      }
      if (f == RealtimeAudio.Format.PCM16 && rate != null && rate != ModelAudio.SAMPLE_RATE) {
        out.error(
            "invalid_request_error",
            "invalid_value",
            "audio/pcm is taken at 24000 Hz only, not " + rate,
            clientId);
        return;
      }
    }
    JsonNode td = in.has("turn_detection") ? in.get("turn_detection") : s.get("turn_detection");
    boolean vad = serverVad;
    if (td != null) {
      if (td.isNull()) {
        vad = false;
      } else if (td.path("type").asText("").equals("server_vad")
          || td.path("type").asText("").equals("semantic_vad")) {
        vad = true;
      } else {
        out.error(
            "invalid_request_error",
            "invalid_value",
            "turn_detection must be null or {\"type\": \"server_vad\"}",
            clientId);
        return;
      }
    }
    if (f != audio.format()) {
      audio = new RealtimeAudio(f);
    }
    serverVad = vad;
    out.send(out.event(reply).with("session", sessionObject()));
  }

  private Map<String, Object> sessionObject() {
    Map<String, Object> format = new LinkedHashMap<>();
    format.put("type", audio.format().ga);
    if (audio.format() == RealtimeAudio.Format.PCM16) {
      format.put("rate", ModelAudio.SAMPLE_RATE);
    }
    Map<String, Object> input = new LinkedHashMap<>();
    input.put("format", format);
    input.put("transcription", Map.of("model", model));
    input.put("turn_detection", serverVad ? Map.of("type", "server_vad") : null);
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("type", "transcription");
    s.put("id", sessionId);
    s.put("object", "realtime.transcription_session");
    s.put("audio", Map.of("input", input));
    return s;
  }

  private void pump() {
    Segment g = segment;
    if (g == null) {
      return;
    }
    if (g.tail == null) {
      g.taken += feed.pendingSamples();
      feed.pumpInto(g.session, room);
      g.taken -= feed.pendingSamples();
    } else if (!g.inputEnded && g.tail.pumpInto(g.session, room)) {
      g.inputEnded = true;
      g.session.endOfInput();
    }
    boolean backlog = feed.pendingSamples() > MAX_PENDING_SECONDS * ModelAudio.SAMPLE_RATE;
    if (channel.config().isAutoRead() == backlog) {
      channel.config().setAutoRead(!backlog);
    }
  }

  // ---- engine events (engine thread: handed to the event loop) --------------------------------

  /** One item's STT session and what it has said. */
  private final class Segment implements SttListener {
    final long offsetSamples; // where its audio starts in the socket's input
    SttSession session;
    MeteredFeed tail; // set by the commit: the item's remaining audio
    boolean inputEnded;
    long taken; // samples it took from the socket's feed
    String item; // its item id, once a word or the commit made it
    final StringBuilder text = new StringBuilder();

    Segment(long offsetSamples) {
      this.offsetSamples = offsetSamples;
    }

    @Override
    public void onStep(SttStep step) {
      onLoop(RealtimeTranscriptionSocket.this::pump);
    }

    @Override
    public void onWord(int index, String word, double startSeconds) {
      onLoop(
          () -> {
            started(startSeconds);
            delta(text.isEmpty() ? word : " " + word);
          });
    }

    @Override
    public void onEndOfTurn(long stepIndex, float pauseProbability) {
      onLoop(
          () -> {
            if (serverVad && item != null && segment == this) {
              endItem();
            }
          });
    }

    @Override
    public void onTranscript(List<SttWord> words) {
      onLoop(
          () -> {
            String full = String.join(" ", words.stream().map(SttWord::text).toList());
            if (full.startsWith(text.toString()) && full.length() > text.length()) {
              if (!words.isEmpty()) {
                started(words.get(0).startSeconds());
              }
              delta(full.substring(text.length())); // the last words, known at the end
            }
            finishItem(this);
          });
    }

    @Override
    public void onClosed(String reason) {
      onLoop(
          () -> {
            if (out.isClosed()) {
              return;
            }
            if (reason != null) {
              out.error("server_error", "session_closed", reason, null);
              close(1011, "session ended");
            } else if (segment == this) {
              samplesTaken = offsetSamples + taken;
              openSegment();
            }
          });
    }

    private void started(double startSeconds) {
      if (item == null) {
        item = "item_" + UUID.randomUUID().toString().replace("-", "");
        out.send(
            out.event("input_audio_buffer.speech_started")
                .with(
                    "audio_start_ms",
                    Math.round(
                        (offsetSamples / (double) ModelAudio.SAMPLE_RATE + startSeconds) * 1000))
                .with("item_id", item));
      }
    }

    private void delta(String d) {
      text.append(d);
      out.send(
          out.event("conversation.item.input_audio_transcription.delta")
              .with("item_id", item)
              .with("content_index", 0)
              .with("delta", d));
    }
  }

  /** Ends the current item (an empty one if no word came): stopped, committed, completed. */
  private void finishItem(Segment g) {
    if (g.item == null) {
      g.item = "item_" + UUID.randomUUID().toString().replace("-", "");
    }
    String item = g.item;
    long endMs = Math.round((g.offsetSamples + g.taken) * 1000.0 / ModelAudio.SAMPLE_RATE);
    out.send(
        out.event("input_audio_buffer.speech_stopped")
            .with("audio_end_ms", endMs)
            .with("item_id", item));
    out.send(
        out.event("input_audio_buffer.committed")
            .with("item_id", item)
            .with("previous_item_id", previousItem));
    Map<String, Object> usage = new LinkedHashMap<>();
    usage.put("type", "duration");
    usage.put("seconds", g.taken / (double) ModelAudio.SAMPLE_RATE);
    out.send(
        out.event("conversation.item.input_audio_transcription.completed")
            .with("item_id", item)
            .with("content_index", 0)
            .with("transcript", g.text.toString())
            .with("usage", usage));
    previousItem = item;
  }

  // ---- output ---------------------------------------------------------------------------------

  private void close(int code, String reason) {
    closeSession();
    out.close(code, reason);
  }

  private void closeSession() {
    if (segment != null) {
      segment.session.close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    out.markClosed();
    closeSession(); // an abrupt disconnect frees the slot
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
