package dev.parley.server.http;

import dev.parley.server.config.HttpLimits;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The door of every HTTP connection, between the codec and the routes: a request is admitted from
 * its head alone (decoded cleanly, API key right for its route, declared body within the route's
 * limit) before a single body byte is buffered, and only then aggregated, up to that route's limit
 * ({@link RequestPolicy}). Anything else is answered (400, 401, 408, 413, 414, 431, 503) and the
 * connection closed. Until it sends a request that is admitted, a connection counts against the
 * server's cap on pending connections; a head must arrive whole within the request timeout, and a
 * body must not stall for longer than it (an idle keep-alive connection is closed after it too,
 * without an answer: nothing was asked). Once the connection is upgraded to a WebSocket the gate
 * steps out: the socket's own idle timer takes over. Event loop only.
 */
final class RequestGate extends ChannelDuplexHandler {
  static final String NAME = "request-gate";
  static final String AGGREGATOR = "aggregator";
  static final String WATCHER = "request-bytes";

  private final HttpFrontEnd server;
  private final HttpLimits limits;
  private boolean pending; // counted against the cap on pending connections
  private boolean refused; // answered and closing: input is dropped
  private int inFlight; // heads admitted whose response has not been written yet
  // Upload budget reserved by each admitted request still in flight, oldest first.
  private final ArrayDeque<Long> reservations = new ArrayDeque<>();
  private boolean bytesSinceAnswer; // part of a request has arrived since the last response
  private ScheduledFuture<?> headDeadline;
  private ScheduledFuture<?> bodyDeadline;
  // How the route of the request being admitted writes refusals; plain text until one is known.
  private RefusalFormat refusals = RefusalFormat.PLAIN;

  RequestGate(HttpFrontEnd server) {
    this.server = server;
    this.limits = server.access().config().httpLimits();
  }

  /**
   * A handler for in front of the HTTP codec: it notes that bytes arrived, so that a request begun
   * but not finished in time is answered 408 while an idle keep-alive connection is just closed.
   */
  ChannelInboundHandlerAdapter byteWatcher() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        bytesSinceAnswer = true;
        ctx.fireChannelRead(msg);
      }
    };
  }

  /** The aggregator a route's requests are gathered by: bodies past its limit are refused. */
  static HttpObjectAggregator aggregator(int maxBodyBytes) {
    return aggregator(new RequestPolicy(true, maxBodyBytes));
  }

  private static HttpObjectAggregator aggregator(RequestPolicy policy) {
    int maxBodyBytes = policy.maxBodyBytes();
    return new HttpObjectAggregator(maxBodyBytes, /* closeOnExpectationFailed= */ true) {
      @Override
      protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        HttpResponses.refuse(
            ctx,
            policy
                .refusals()
                .response(
                    HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "request body larger than " + maxBodyBytes + " bytes"));
      }
    };
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    if (!server.claimPending()) {
      refuse(
          ctx,
          HttpResponseStatus.SERVICE_UNAVAILABLE,
          "too many connections waiting to send a request; try again later\n");
    } else {
      pending = true;
      armHeadDeadline(ctx);
    }
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    stepOut();
    while (!reservations.isEmpty()) {
      server.releaseUpload(reservations.poll());
    }
    super.channelInactive(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (!(msg instanceof HttpObject http)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (refused) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (http.decoderResult().isFailure()) {
      Throwable cause = http.decoderResult().cause();
      ReferenceCountUtil.release(msg);
      refuse(ctx, statusOf(cause), "malformed request: " + cause.getMessage() + "\n");
      return;
    }
    if (msg instanceof HttpRequest head && !admit(ctx, head)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof LastHttpContent) {
      cancel(bodyDeadline);
    } else if (msg instanceof HttpContent) {
      armBodyDeadline(ctx); // a slow upload is fine; a stalled one is not
    }
    ctx.fireChannelRead(msg);
  }

  /** Whether the request may be read; if not, it has been answered. */
  private boolean admit(ChannelHandlerContext ctx, HttpRequest head) {
    cancel(headDeadline);
    if (head.protocolVersion() != HttpVersion.HTTP_1_1
        && head.protocolVersion() != HttpVersion.HTTP_1_0) {
      refuse(
          ctx,
          HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
          head.protocolVersion() + " is not supported: HTTP/1.1 or HTTP/1.0");
      return false;
    }
    QueryStringDecoder q;
    String path;
    try {
      q = new QueryStringDecoder(head.uri());
      path = q.path();
    } catch (IllegalArgumentException e) {
      refuse(ctx, HttpResponseStatus.BAD_REQUEST, "malformed request target: " + e.getMessage());
      return false;
    }
    RequestPolicy policy = HttpRouter.policy(path);
    refusals = policy.refusals();
    RouteAccess access = server.access();
    if (policy.needsKey() && !access.config().apiKeys().allows(head.headers(), q)) {
      access.metrics().rejected();
      refuse(ctx, HttpResponseStatus.UNAUTHORIZED, RouteAccess.WRONG_KEY);
      return false;
    }
    long length;
    try {
      length = HttpUtil.getContentLength(head, -1L);
    } catch (NumberFormatException e) {
      refuse(ctx, HttpResponseStatus.BAD_REQUEST, "malformed Content-Length\n");
      return false;
    }
    if (length > policy.maxBodyBytes()) {
      refuse(
          ctx,
          HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
          "request body larger than " + policy.maxBodyBytes() + " bytes\n");
      return false;
    }
    // A chunked body may grow to the route's limit: reserve that much.
    long reserve =
        length >= 0 ? length : HttpUtil.isTransferEncodingChunked(head) ? policy.maxBodyBytes() : 0;
    if (reserve > 0 && !server.claimUpload(reserve)) {
      refuse(
          ctx,
          HttpResponseStatus.SERVICE_UNAVAILABLE,
          "the server is receiving too many uploads at once (limit "
              + limits.maxUploadBytes()
              + " bytes buffered); try again later\n");
      return false;
    }
    reservations.add(reserve);
    leavePending();
    inFlight++;
    ctx.pipeline().replace(AGGREGATOR, AGGREGATOR, aggregator(policy));
    if (!(head instanceof LastHttpContent)) {
      armBodyDeadline(ctx);
    }
    return true;
  }

  private void armBodyDeadline(ChannelHandlerContext ctx) {
    cancel(bodyDeadline);
    bodyDeadline =
        ctx.executor()
            .schedule(
                () ->
                    refuse(
                        ctx,
                        HttpResponseStatus.REQUEST_TIMEOUT,
                        "request timeout: the body stalled (nothing for "
                            + limits.requestTimeout().toMillis()
                            + " ms)\n"),
                limits.requestTimeout().toNanos(),
                TimeUnit.NANOSECONDS);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise)
      throws Exception {
    int status = msg instanceof HttpResponse r ? r.status().code() : -1;
    ctx.write(msg, promise);
    if (status == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
      stepOut(); // a WebSocket now: its own idle timer applies
      while (!reservations.isEmpty()) {
        server.releaseUpload(reservations.poll());
      }
      if (ctx.pipeline().get(WATCHER) != null) {
        ctx.pipeline().remove(WATCHER);
      }
      ctx.pipeline().remove(this);
    } else if (msg instanceof LastHttpContent && status != HttpResponseStatus.CONTINUE.code()) {
      inFlight = Math.max(0, inFlight - 1);
      Long reserved = reservations.poll();
      if (reserved != null) {
        server.releaseUpload(reserved);
      }
      bytesSinceAnswer = false;
      armHeadDeadline(ctx); // the next request must come within the timeout
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    EdgeLog.failure(ctx.channel().remoteAddress(), cause);
    if (cause instanceof IOException || !ctx.channel().isActive()) {
      ctx.close();
    } else {
      refuse(
          ctx, HttpResponseStatus.BAD_REQUEST, "malformed request: " + cause.getMessage() + "\n");
    }
  }

  private void armHeadDeadline(ChannelHandlerContext ctx) {
    cancel(headDeadline);
    if (refused || inFlight > 0 || !ctx.channel().isActive()) {
      return;
    }
    headDeadline =
        ctx.executor()
            .schedule(
                () -> {
                  if (inFlight == 0 && !bytesSinceAnswer) {
                    stepOut(); // idle, nothing begun: nobody to answer
                    refused = true;
                    ctx.close();
                  } else if (inFlight == 0) {
                    refuse(
                        ctx,
                        HttpResponseStatus.REQUEST_TIMEOUT,
                        "request timeout: no complete request within "
                            + limits.requestTimeout().toMillis()
                            + " ms\n");
                  }
                },
                limits.requestTimeout().toNanos(),
                TimeUnit.NANOSECONDS);
  }

  /** Answers {@code status} and closes; later input is dropped. */
  private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String text) {
    if (refused) {
      return;
    }
    refused = true;
    stepOut();
    HttpResponses.refuse(ctx, refusals.response(status, text));
  }

  private void stepOut() {
    cancel(headDeadline);
    cancel(bodyDeadline);
    leavePending();
  }

  private void leavePending() {
    if (pending) {
      pending = false;
      server.releasePending();
    }
  }

  private static void cancel(ScheduledFuture<?> f) {
    if (f != null) {
      f.cancel(false);
    }
  }

  static HttpResponseStatus statusOf(Throwable cause) {
    if (cause instanceof TooLongHttpLineException) {
      return HttpResponseStatus.REQUEST_URI_TOO_LONG;
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
    }
    if (cause instanceof TooLongFrameException) {
      return HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
    }
    return HttpResponseStatus.BAD_REQUEST;
  }
}
