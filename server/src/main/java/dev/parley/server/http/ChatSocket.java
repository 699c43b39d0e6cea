package dev.parley.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.opus.OggOpusReader;
import dev.parley.codec.opus.OggOpusWriter;
import dev.parley.server.engine.OutputFrame;
import dev.parley.server.engine.Session;
import dev.parley.server.engine.SessionListener;
import dev.parley.server.metrics.EngineMetrics;
import io.netty.buffer.ByteBuf;
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
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code /api/chat} connection (Kyutai's protocol): binary messages of a kind byte plus
 * payload; Ogg Opus pages in, Ogg Opus pages and text pieces out. Incoming pages are decoded on
 * the connection's event loop (pure Java, no blocking) and handed to the engine; frames the engine
 * produces come back on the engine thread and are encoded and written on the event loop. No tensor
 * is ever touched here.
 */
final class ChatSocket extends SimpleChannelInboundHandler<WebSocketFrame> implements SessionListener {
  private static final Logger LOG = LoggerFactory.getLogger(ChatSocket.class);
  /** Frames produced while the client was not reading before the session is closed (2 s of audio). */
  static final int MAX_UNREAD_FRAMES = 25;

  private final Channel channel;
  private final EngineMetrics metrics;
  private Session session;
  private final OggOpusReader reader;
  private final OggOpusWriter writer;
  private int unreadFrames;
  private boolean ending;

  ChatSocket(Channel channel, EngineMetrics metrics) {
    this.channel = channel;
    this.metrics = metrics;
    this.reader = new OggOpusReader(24000, (pcm, off, len) -> {
      if (session != null && !session.offerAudio(pcm, off, len)) {
        LOG.debug("session on {} refused audio", channel);
      }
    });
    this.writer = new OggOpusWriter(OggOpusWriter.Options.speech24k(), page -> send(ChatProtocol.AUDIO, page));
  }

  /** Called once the WebSocket handshake completed and the engine gave us a session. */
  void start(Session s, Map<String, Object> metadata) {
    this.session = s;
    // Handshake first (kind 0, protocol version 0, model version 0), then the session's metadata.
    send(ChatProtocol.HANDSHAKE, new byte[8]);
    try {
      send(ChatProtocol.METADATA, new ObjectMapper().writeValueAsBytes(metadata));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
    if (frame instanceof BinaryWebSocketFrame) {
      ByteBuf content = frame.content();
      metrics.bytesIn(content.readableBytes());
      if (!content.isReadable()) {
        return;
      }
      byte kind = content.readByte();
      if (kind == ChatProtocol.AUDIO) {
        byte[] page = ByteBufUtil.getBytes(content);
        try {
          long t0 = System.nanoTime();
          reader.feed(page, 0, page.length);
          metrics.audioIn(System.nanoTime() - t0);
        } catch (AudioFormatException e) {
          fail("undecodable audio: " + e.getMessage());
        }
      } else {
        LOG.debug("ignoring message kind {} from {}", kind, channel.remoteAddress());
      }
    } else if (frame instanceof TextWebSocketFrame) {
      send(ChatProtocol.ERROR, "text frames are not part of this protocol: send binary messages (kind byte + payload)"
          .getBytes(StandardCharsets.UTF_8));
    } else if (frame instanceof PingWebSocketFrame) {
      ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
    } else if (frame instanceof CloseWebSocketFrame) {
      ending = true;
      ctx.writeAndFlush(frame.retainedDuplicate()).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof IdleStateEvent) {
      fail("idle timeout: no message received for too long");
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
    LOG.debug("connection {} failed: {}", channel.remoteAddress(), cause.toString());
    fail(cause.getMessage() == null ? cause.toString() : cause.getMessage());
  }

  // ---- engine → client (engine thread) --------------------------------------------------------

  @Override
  public void onFrame(OutputFrame frame) {
    channel.eventLoop().execute(() -> {
      if (ending) {
        return;
      }
      if (!channel.isWritable()) {
        if (++unreadFrames > MAX_UNREAD_FRAMES) {
          fail("client is not reading: " + MAX_UNREAD_FRAMES + " frames of output waiting");
        }
        return; // drop this frame's audio rather than buffer without limit
      }
      unreadFrames = 0;
      long t0 = System.nanoTime();
      writer.write(frame.pcm());
      metrics.audioOut(System.nanoTime() - t0);
      if (!frame.text().isEmpty()) {
        send(ChatProtocol.TEXT, frame.text().getBytes(StandardCharsets.UTF_8));
      }
      // Server latency: input frame complete → output frame encoded and handed to the socket.
      metrics.frameLatency(System.nanoTime() - frame.inputCompletedNanos(), frame.stepNanos(), frame.latencyNanos());
    });
  }

  @Override
  public void onClosed(String reason) {
    channel.eventLoop().execute(() -> {
      if (reason != null && !ending) {
        sendAndClose(reason);
      } else if (!ending) {
        ending = true;
        channel.writeAndFlush(new CloseWebSocketFrame(1000, "session ended")).addListener(ChannelFutureListener.CLOSE);
      }
    });
  }

  /** An error for this client only: message kind 5, then a clean close. */
  private void fail(String message) {
    if (ending) {
      return;
    }
    if (session != null && !session.isClosed()) {
      session.close();
    }
    sendAndClose(message);
  }

  private void sendAndClose(String message) {
    ending = true;
    send(ChatProtocol.ERROR, message.getBytes(StandardCharsets.UTF_8));
    channel.writeAndFlush(new CloseWebSocketFrame(1008, truncate(message)))
        .addListener(ChannelFutureListener.CLOSE);
  }

  private static String truncate(String s) {
    return s.length() <= 120 ? s : s.substring(0, 120); // a close reason must fit in 123 bytes
  }

  private void send(byte kind, byte[] payload) {
    ByteBuf buf = Unpooled.buffer(1 + payload.length);
    buf.writeByte(kind).writeBytes(payload);
    metrics.bytesOut(buf.readableBytes());
    channel.writeAndFlush(new BinaryWebSocketFrame(buf));
  }
}
