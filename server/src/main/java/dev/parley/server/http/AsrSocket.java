package dev.parley.server.http;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.opus.OggOpusReader;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.stt.AsrMessages;
import dev.parley.server.stt.AsrProtocolException;
import dev.parley.server.engine.MeteredFeed;
import dev.parley.server.stt.SttListener;
import dev.parley.server.stt.SttSession;
import dev.parley.server.stt.SttStep;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code /api/asr-streaming} connection, moshi-server's streaming STT protocol: MessagePack
 * maps tagged by {@code type}. In: {@code Audio{pcm}}, {@code OggOpus{data}}, {@code Marker{id}},
 * {@code Init}; out: {@code Ready}, {@code Word}, {@code EndWord}, {@code Step} (models with
 * pause heads), {@code Marker}, {@code Error}.
 *
 * <p>Input is metered: decoded audio waits in a {@link MeteredFeed} and enters the session as its
 * queue frees; while more than {@link #MAX_PENDING_SECONDS} wait, the socket stops reading, so a
 * client streaming a file (Kyutai's file client sends it, then 35 s of silence, at full speed) is
 * slowed by TCP instead of refused. A malformed message gets an {@code Error} and the connection
 * closes; other sessions are untouched. Engine events arrive on the engine thread; all state here
 * lives on the connection's event loop.
 */
final class AsrSocket extends SimpleChannelInboundHandler<WebSocketFrame> implements SttListener {
  private static final Logger LOG = LoggerFactory.getLogger(AsrSocket.class);
  /** Decoded audio held back before the socket stops reading. */
  static final double MAX_PENDING_SECONDS = 2.0;
  /** Messages waiting for a client that does not read before it is dropped. */
  static final int MAX_UNREAD_MESSAGES = 500;

  private final Channel channel;
  private final EngineMetrics metrics;
  private final AsrMessages codec;
  private final int room;
  private final boolean sendSteps;
  private final MeteredFeed feed = new MeteredFeed();
  private SttSession session;
  private OggOpusReader ogg; // created by the first OggOpus message
  private int unread;
  private boolean ending;

  AsrSocket(Channel channel, EngineMetrics metrics, AsrMessages codec, int maxQueuedFrames, boolean sendSteps) {
    this.channel = channel;
    this.metrics = metrics;
    this.codec = codec;
    this.room = MeteredFeed.room(maxQueuedFrames);
    this.sendSteps = sendSteps;
  }

  /** On the event loop, once the session is open: the client may start. */
  void start(SttSession s) {
    session = s;
    send(new AsrMessages.Out.Ready());
  }

  // ---- client → engine (event loop) -----------------------------------------------------------

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
    if (frame instanceof BinaryWebSocketFrame) {
      metrics.bytesIn(frame.content().readableBytes());
      if (session == null || ending) {
        return;
      }
      try {
        AsrMessages.In message = codec.decodeIn(ByteBufUtil.getBytes(frame.content()));
        if (message instanceof AsrMessages.In.Audio a) {
          feed.addAudio(a.pcm(), 0, a.pcm().length);
        } else if (message instanceof AsrMessages.In.OggOpus o) {
          if (ogg == null) {
            ogg = new OggOpusReader(24000, feed::addAudio);
          }
          ogg.feed(o.data());
        } else if (message instanceof AsrMessages.In.Marker m) {
          feed.addMarker(m.id());
        } // Init: nothing to do, the session is ready
      } catch (AsrProtocolException e) {
        fail(e.getMessage());
        return;
      } catch (AudioFormatException e) {
        fail("undecodable OggOpus data: " + e.getMessage());
        return;
      }
      pump();
    } else if (frame instanceof TextWebSocketFrame) {
      fail("text frames are not part of this protocol: send MessagePack maps in binary frames");
    } else if (frame instanceof PingWebSocketFrame) {
      ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
    } else if (frame instanceof CloseWebSocketFrame) {
      ending = true;
      ctx.writeAndFlush(frame.retainedDuplicate()).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void pump() {
    if (session == null || ending) {
      return;
    }
    feed.pumpInto(session, room);
    boolean backlog = feed.pendingSamples() > MAX_PENDING_SECONDS * 24000;
    if (channel.config().isAutoRead() == backlog) {
      channel.config().setAutoRead(!backlog); // TCP back-pressure on a client ahead of the engine
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof IdleStateEvent idle) {
      if (idle.state() == IdleState.WRITER_IDLE) {
        channel.writeAndFlush(new PingWebSocketFrame()); // keeps proxies from closing a quiet socket
      } else if (channel.config().isAutoRead()) { // not idle when we stopped reading ourselves
        fail("idle timeout: no message received for too long");
      }
    } else {
      super.userEventTriggered(ctx, evt);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    ending = true;
    if (session != null) {
      session.close();
    }
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("asr connection {} failed: {}", channel.remoteAddress(), cause.toString());
    fail(cause.getMessage() == null ? cause.toString() : cause.getMessage());
  }

  // ---- engine → client (engine thread: hand off) ----------------------------------------------

  @Override
  public void onStep(SttStep step) {
    channel.eventLoop().execute(this::pump);
    if (sendSteps) {
      send(AsrMessages.step(step));
    }
  }

  @Override
  public void onWord(int index, String text, double startSeconds) {
    send(new AsrMessages.Out.Word(text, startSeconds));
  }

  @Override
  public void onWordEnd(int index, double stopSeconds) {
    send(new AsrMessages.Out.EndWord(stopSeconds));
  }

  @Override
  public void onMarker(long id) {
    send(new AsrMessages.Out.Marker(id));
  }

  @Override
  public void onClosed(String reason) {
    channel.eventLoop().execute(() -> {
      if (!ending) {
        if (reason != null) {
          sendErrorAndClose(reason);
        } else {
          ending = true;
          channel.writeAndFlush(new CloseWebSocketFrame(1000, "session ended"))
              .addListener(ChannelFutureListener.CLOSE);
        }
      }
    });
  }

  /** An error for this client only: an Error message, then a clean close. */
  void fail(String message) {
    if (ending) {
      return;
    }
    if (session != null && !session.isClosed()) {
      session.close();
    }
    sendErrorAndClose(message);
  }

  private void sendErrorAndClose(String message) {
    ending = true;
    send(new AsrMessages.Out.Error(message));
    channel.writeAndFlush(new CloseWebSocketFrame(1008, message.length() <= 120 ? message : message.substring(0, 120)))
        .addListener(ChannelFutureListener.CLOSE);
  }

  /** Thread-safe: Netty queues writes from other threads onto the event loop. */
  private void send(AsrMessages.Out message) {
    // Words are never dropped: Netty buffers them, up to a bound for a client that stopped reading.
    if (!channel.isWritable() && !(message instanceof AsrMessages.Out.Error)) {
      if (++unread > MAX_UNREAD_MESSAGES) { // a racy count from two threads is fine for a bound
        channel.eventLoop().execute(() -> fail("client is not reading: " + MAX_UNREAD_MESSAGES
            + " messages waiting"));
        return;
      }
    } else {
      unread = 0;
    }
    byte[] bytes = AsrMessages.encode(message);
    metrics.bytesOut(bytes.length);
    channel.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes)));
  }
}
