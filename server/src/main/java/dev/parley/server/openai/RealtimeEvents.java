package dev.parley.server.openai;

import dev.parley.server.metrics.EngineMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server side of one Realtime WebSocket: events numbered per session, written as JSON text
 * frames and counted; nothing is written once the socket is closing. Event loop only.
 */
final class RealtimeEvents {
  /** A server event under construction. */
  static final class Event extends LinkedHashMap<String, Object> {
    private static final long serialVersionUID = 1L;

    Event with(String k, Object v) {
      put(k, v);
      return this;
    }
  }

  private final Channel channel;
  private final EngineMetrics metrics;
  private final String sessionId;
  private long events;
  private boolean closed;

  RealtimeEvents(Channel channel, EngineMetrics metrics, String sessionId) {
    this.channel = channel;
    this.metrics = metrics;
    this.sessionId = sessionId;
  }

  Event event(String type) {
    Event e = new Event();
    e.put("type", type);
    e.put("event_id", "event_" + sessionId.substring(5, 13) + "_" + events++);
    return e;
  }

  /** An {@code error} event; {@code clientEventId} names the client event it answers, if any. */
  void error(String type, String code, String message, String clientEventId) {
    Map<String, Object> err = new LinkedHashMap<>();
    err.put("type", type);
    err.put("code", code);
    err.put("message", message);
    err.put("param", null);
    err.put("event_id", clientEventId);
    send(event("error").with("error", err));
  }

  void send(Map<String, Object> event) {
    if (closed) {
      return;
    }
    String json = OpenAiHttp.json(event);
    metrics.bytesOut(json.length());
    channel.writeAndFlush(new TextWebSocketFrame(json));
  }

  /** Writes the close frame, then closes the connection; later events are dropped. */
  void close(int code, String reason) {
    closed = true;
    channel
        .writeAndFlush(new CloseWebSocketFrame(code, reason))
        .addListener(ChannelFutureListener.CLOSE);
  }

  void markClosed() {
    closed = true;
  }

  boolean isClosed() {
    return closed;
  }
}
