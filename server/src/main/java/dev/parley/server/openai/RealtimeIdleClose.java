package dev.parley.server.openai;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.time.Duration;
import java.util.Map;

/**
 * The Realtime socket's idle rule, as on Parley's other sockets: a client that sends nothing for
 * the server's idle timeout gets an {@code error} event and the close (its slot frees with the
 * connection); a quiet server side sends pings so proxies keep the connection.
 */
final class RealtimeIdleClose extends ChannelInboundHandlerAdapter {
  private final Duration idleTimeout;
  private boolean closing;

  RealtimeIdleClose(Duration idleTimeout) {
    this.idleTimeout = idleTimeout;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (!(evt instanceof IdleStateEvent idle)) {
      super.userEventTriggered(ctx, evt);
      return;
    }
    if (idle.state() == IdleState.WRITER_IDLE) {
      ctx.writeAndFlush(new PingWebSocketFrame());
      return;
    }
    if (idle.state() != IdleState.READER_IDLE || closing) {
      return;
    }
    closing = true;
    String message = "idle timeout: no client event for " + idleTimeout.toSeconds() + " s";
    Map<String, Object> error =
        new OpenAiError(
                io.netty.handler.codec.http.HttpResponseStatus.REQUEST_TIMEOUT,
                message,
                OpenAiError.INVALID_REQUEST,
                null,
                "idle_timeout")
            .fields();
    ctx.write(new TextWebSocketFrame(OpenAiHttp.json(Map.of("type", "error", "error", error))));
    ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.POLICY_VIOLATION, message))
        .addListener(ChannelFutureListener.CLOSE);
  }
}
