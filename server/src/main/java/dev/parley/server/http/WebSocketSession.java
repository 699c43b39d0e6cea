package dev.parley.server.http;

import dev.parley.server.metrics.EngineMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket connection of a Parley route, with what the chat, transcription and synthesis
 * protocols share: the upgrade (handshake, whole messages up to the size limit however the client
 * fragments them, the idle timer and keep-alive pings), ping and close frames, the idle timeout,
 * output back-pressure for a client that stops reading, and the two ways a connection ends — a
 * normal close, or the protocol's error message then a close with the reason. Subclasses speak
 * their protocol; all their state and this class's lives on the connection's event loop, and engine
 * events are handed there with {@link #onLoop}.
 */
abstract class WebSocketSession extends SimpleChannelInboundHandler<WebSocketFrame> {
  private static final Logger LOG = LoggerFactory.getLogger(WebSocketSession.class);

  /**
   * moshi-server pings every 10 s; so does every Parley socket, so proxies keep quiet ones open.
   */
  static final Duration PING_INTERVAL = Duration.ofSeconds(10);

  /** A close frame's reason is at most 123 bytes of UTF-8. */
  private static final int MAX_CLOSE_REASON_BYTES = 123;

  /** How long a closing connection may take to let its last frames out before it is cut. */
  private static final long CLOSE_WAIT_SECONDS = 5;

  protected final Channel channel;
  protected final EngineMetrics metrics;
  private final Duration idleTimeout;
  private boolean ending;
  private boolean closeSent;
  private final ChannelPromise closeWritten; // our close frame is out (or cannot be written)
  private long lastActivityNanos = System.nanoTime(); // a message in, or one the socket took
  private int unreadOutputs;

  protected WebSocketSession(Channel channel, EngineMetrics metrics, Duration idleTimeout) {
    this.channel = channel;
    this.metrics = metrics;
    this.idleTimeout = idleTimeout;
    this.closeWritten = channel.newPromise();
  }

  /**
   * Upgrades {@code req} (on the router's channel) to this socket: handshake, frame aggregation up
   * to {@code maxMessageBytes}, the idle timer, then this handler replaces the router and {@link
   * #opened} runs.
   */
  final void upgrade(
      ChannelHandlerContext ctx,
      FullHttpRequest req,
      ChannelHandler router,
      String path,
      boolean tls,
      int maxMessageBytes) {
    String url = (tls ? "wss" : "ws") + "://" + req.headers().get(HttpHeaderNames.HOST) + path;
    // No extension is negotiated, so a frame with RSV bits set is a protocol error (1002); this
    // class answers violations itself, with the protocol's error message before the close.
    WebSocketDecoderConfig decoder =
        WebSocketDecoderConfig.newBuilder()
            .maxFramePayloadLength(maxMessageBytes)
            .allowExtensions(false)
            .closeOnProtocolViolation(false)
            .build();
    WebSocketServerHandshaker hs =
        new WebSocketServerHandshakerFactory(url, /* subprotocols= */ null, decoder)
            .newHandshaker(req);
    if (hs == null) {
      WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
      return;
    }
    hs.handshake(ctx.channel(), req)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                ctx.close();
                return;
              }
              ctx.pipeline()
                  .addBefore(
                      ctx.name(),
                      "idle",
                      new IdleStateHandler(
                          idleTimeout.toMillis(),
                          PING_INTERVAL.toMillis(),
                          0,
                          TimeUnit.MILLISECONDS));
              // Text must be UTF-8 however it is fragmented (1007), checked frame by frame.
              ctx.pipeline()
                  .addBefore(
                      ctx.name(),
                      "ws-utf8",
                      new Utf8FrameValidator(/* closeOnProtocolViolation= */ false));
              ctx.pipeline()
                  .addBefore(
                      ctx.name(), "ws-aggregator", new WebSocketFrameAggregator(maxMessageBytes));
              ctx.pipeline().replace(router, "ws-" + path, this);
              opened();
            });
  }

  // ---- what each protocol supplies ------------------------------------------------------------

  /**
   * The handshake is done and this handler is in place: open the engine session, greet the client.
   */
  protected abstract void opened();

  /** A whole binary message (never empty of readable bytes only if the client sent some). */
  protected abstract void onBinary(ByteBuf content);

  /** A whole text message. */
  protected abstract void onText(String text);

  /** The protocol's error message, sent before the close. */
  protected abstract void sendError(String message);

  /** The connection is ending: free the engine session, if any (idempotent). */
  protected abstract void closeSession();

  // ---- client → server (event loop) -----------------------------------------------------------

  @Override
  protected final void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
    lastActivityNanos = System.nanoTime();
    if (frame instanceof BinaryWebSocketFrame) {
      metrics.bytesIn(frame.content().readableBytes());
      if (!ending) {
        onBinary(frame.content());
      }
    } else if (frame instanceof TextWebSocketFrame t) {
      metrics.bytesIn(frame.content().readableBytes());
      if (!ending) {
        onText(t.text());
      }
    } else if (frame instanceof PingWebSocketFrame) {
      ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
    } else if (frame instanceof CloseWebSocketFrame) {
      if (closeSent) {
        ctx.close(); // the client's answer to our close: the handshake is complete
        return;
      }
      ending = true; // the client leaving ends its session
      closeSent = true;
      closeSession();
      ctx.writeAndFlush(frame.retainedDuplicate())
          .addListener(f -> closeWritten.trySuccess())
          .addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public final void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (!(evt instanceof IdleStateEvent idle)) {
      super.userEventTriggered(ctx, evt);
    } else if (idle.state() == IdleState.WRITER_IDLE) {
      channel.writeAndFlush(new PingWebSocketFrame());
    } else if (channel.config().isAutoRead() // not idle while we hold its input back ourselves
        && System.nanoTime() - lastActivityNanos
            >= idleTimeout.toNanos()) { // nor while it takes output
      if (ending) {
        channel.close(); // the end was said, but the client has not read it for that long
      } else {
        fail("idle timeout: nothing received or delivered for " + idleTimeout.toSeconds() + " s");
      }
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    closeWritten.trySuccess();
    ending = true;
    closeSession();
    super.channelInactive(ctx);
  }

  /**
   * A frame the decoders refused (a protocol error 1002, invalid UTF-8 1007, a message past the
   * size limit 1009) or a failure here (1011): the error message, then a close with that code.
   */
  @Override
  public final void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
    if (cause instanceof CorruptedWebSocketFrameException c) {
      LOG.debug("{} sent a bad frame: {}", channel.remoteAddress(), message);
      fail(c.closeStatus().code(), message);
    } else if (cause instanceof TooLongFrameException) {
      LOG.debug("{} sent too large a message: {}", channel.remoteAddress(), message);
      fail(WebSocketCloseStatus.MESSAGE_TOO_BIG.code(), message);
    } else if (cause instanceof java.io.IOException) {
      LOG.debug("{} failed: {}", channel.remoteAddress(), message);
      fail(message);
    } else {
      EdgeLog.failure(channel.remoteAddress(), cause);
      fail(WebSocketCloseStatus.INTERNAL_SERVER_ERROR.code(), message);
    }
  }

  /**
   * From any thread: the server is going away; unless this socket is already ending, its session is
   * freed and the client told why (the protocol's error message, then a close).
   */
  final void goodbye(String reason) {
    onLoop(() -> fail(reason));
  }

  /** Done once this socket's close frame has been written (or the connection is gone). */
  final ChannelFuture closeWritten() {
    return closeWritten;
  }

  // ---- endings --------------------------------------------------------------------------------

  protected final boolean isEnding() {
    return ending;
  }

  /**
   * From any thread: the engine ended the session, normally (null) or with an error for the client.
   */
  protected final void sessionClosed(String reason) {
    onLoop(
        () -> {
          if (reason == null) {
            endNormally("session ended");
          } else {
            fail(reason);
          }
        });
  }

  /**
   * An error for this client only: the session is freed, the error goes out, then a close (1008).
   */
  protected final void fail(String message) {
    fail(WebSocketCloseStatus.POLICY_VIOLATION.code(), message);
  }

  private void fail(int code, String message) {
    if (ending) {
      return;
    }
    ending = true;
    closeSession();
    sendError(message);
    close(code, message);
  }

  /** The work is done: a normal close (1000). */
  protected final void endNormally(String why) {
    if (ending) {
      return;
    }
    ending = true;
    close(1000, why);
  }

  /**
   * Our close frame; the connection closes when the client answers it (until then its input is read
   * and dropped, so a client still sending never meets a reset that would swallow the error and the
   * close before it reads them), or after {@link #CLOSE_WAIT_SECONDS}.
   */
  private void close(int code, String reason) {
    closeSent = true;
    channel
        .writeAndFlush(new CloseWebSocketFrame(code, closeReason(reason)))
        .addListener(f -> closeWritten.trySuccess());
    // A client that reads nothing never lets the close frame out: do not wait for it forever.
    channel
        .eventLoop()
        .schedule(
            () -> {
              channel.close();
            },
            CLOSE_WAIT_SECONDS,
            TimeUnit.SECONDS);
  }

  /** A close reason cut to fit in 123 bytes of UTF-8. */
  static String closeReason(String message) {
    String s = message;
    while (s.getBytes(StandardCharsets.UTF_8).length > MAX_CLOSE_REASON_BYTES) {
      s =
          s.substring(
              0,
              s.length()
                  - Math.max(
                      1, (s.getBytes(StandardCharsets.UTF_8).length - MAX_CLOSE_REASON_BYTES) / 4));
    }
    return s;
  }

  // ---- server → client ------------------------------------------------------------------------

  /** Writes one binary message; the socket taking it counts as activity for the idle timeout. */
  protected final void sendBinary(byte[] bytes) {
    metrics.bytesOut(bytes.length);
    channel
        .writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes)))
        .addListener(
            f -> {
              if (f.isSuccess()) {
                lastActivityNanos = System.nanoTime();
              }
            });
  }

  /**
   * Output back-pressure: whether the socket can take more now. While it cannot, every output
   * counts; past {@code maxUnread} in a row the client is failed as not reading.
   */
  protected final boolean clientReading(int maxUnread, String what) {
    if (channel.isWritable()) {
      unreadOutputs = 0;
      return true;
    }
    if (++unreadOutputs > maxUnread) {
      fail("client is not reading: " + maxUnread + " " + what + " waiting");
    }
    return false;
  }

  /** Runs {@code r} on the connection's event loop (engine events arrive on the engine thread). */
  protected final void onLoop(Runnable r) {
    try {
      channel.eventLoop().execute(r);
    } catch (RejectedExecutionException e) {
      LOG.debug("event loop of {} is gone; dropping an engine event", channel);
    }
  }
}
