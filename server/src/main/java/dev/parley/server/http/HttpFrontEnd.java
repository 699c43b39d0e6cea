package dev.parley.server.http;

import dev.parley.server.config.HttpLimits;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.dialogue.DialogueEngine;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.openai.OpenAiApi;
import dev.parley.server.openai.VoiceTable;
import dev.parley.server.stt.SttEngine;
import dev.parley.server.tts.TtsEngine;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * The HTTP and WebSocket port: Netty's event loops, the TLS and HTTP codecs, and per connection an
 * {@link HttpRouter} in front of the engines. Transports here never touch tensors.
 */
public final class HttpFrontEnd implements AutoCloseable {
  /**
   * Largest HTTP request body: a file POSTed for transcription (about 8 minutes of 24 kHz 16-bit
   * WAV).
   */
  public static final int MAX_UPLOAD_BYTES = 24 << 20;

  /** How long shutdown waits for the WebSockets' last messages to be written. */
  static final Duration GOODBYE_WAIT = Duration.ofSeconds(3);

  private final RouteAccess access;
  private final BooleanSupplier ready;
  private final IntSupplier activeSessions;
  private final Map<String, Object> info;
  private final ChatRoute chat;
  private final TranscriptionRoutes transcription;
  private final SpeechRoutes speech;
  private final StatusRoute status;
  private final PromptVoicesRoute promptVoices;
  private final OpenAiApi openAi;
  private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
  private Channel serverChannel;
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicLong uploadBytes = new AtomicLong();

  /**
   * The routes over the hosted engines (each may be null).
   *
   * @param ready whether warm-up is done ({@code /readyz})
   * @param accepting whether new sessions are taken
   * @param info the server's description ({@code /api/info})
   */
  public HttpFrontEnd(
      DialogueEngine dialogue,
      SttEngine transcription,
      TtsEngine speech,
      ServerConfig config,
      EngineMetrics metrics,
      BooleanSupplier ready,
      BooleanSupplier accepting,
      IntSupplier activeSessions,
      Map<String, Object> info) {
    this.access = new RouteAccess(config, metrics, accepting);
    this.ready = ready;
    this.activeSessions = activeSessions;
    this.info = info;
    this.chat = new ChatRoute(dialogue, access, info);
    this.transcription = new TranscriptionRoutes(transcription, access);
    this.speech = new SpeechRoutes(speech, access);
    this.status = new StatusRoute(access, info, ready);
    this.promptVoices = new PromptVoicesRoute(dialogue);
    this.openAi =
        new OpenAiApi(
            dialogue,
            transcription,
            speech,
            config,
            metrics,
            accepting,
            VoiceTable.fromEnvironment());
  }

  /** Binds the configured host and port. */
  public HttpFrontEnd bind() throws Exception {
    ServerConfig config = access.config();
    SslContext ssl =
        config.tlsCert() == null
            ? null
            : SslContextBuilder.forServer(config.tlsCert().toFile(), config.tlsKey().toFile())
                .build();
    ServerBootstrap b =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(NioServerSocketChannel.class)
            .childOption(ChannelOption.TCP_NODELAY, true)
            // Output for a slow reader is bounded: the socket stops being writable past 1 MiB.
            .childOption(
                ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 << 10, 1 << 20))
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    if (ssl != null) {
                      ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
                    }
                    HttpLimits limits = config.httpLimits();
                    RequestGate gate = new RequestGate(HttpFrontEnd.this);
                    ch.pipeline()
                        .addLast(RequestGate.WATCHER, gate.byteWatcher())
                        .addLast(
                            "http",
                            new HttpServerCodec(
                                new HttpDecoderConfig()
                                    .setMaxInitialLineLength(limits.maxInitialLineBytes())
                                    .setMaxHeaderSize(limits.maxHeaderBytes())))
                        .addLast(RequestGate.NAME, gate)
                        .addLast(
                            RequestGate.AGGREGATOR,
                            RequestGate.aggregator(RequestPolicy.SMALL_BODY_BYTES))
                        .addLast("router", new HttpRouter(HttpFrontEnd.this));
                    connections.add(ch);
                  }
                });
    serverChannel = b.bind(new InetSocketAddress(config.host(), config.port())).sync().channel();
    return this;
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** Blocks until the port closes. */
  public void awaitClose() throws InterruptedException {
    serverChannel.closeFuture().sync();
  }

  /**
   * Says goodbye on every open WebSocket (the protocol's error message, then a close frame; a
   * socket already ending keeps its own goodbye) and waits, at most {@code wait}, until each close
   * frame has been written. The event loops must still run for that: call this before {@link
   * #close} stops them (close calls it too).
   */
  public void awaitGoodbyes(String reason, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    List<WebSocketSession> sockets = new ArrayList<>();
    for (Channel ch : connections) {
      WebSocketSession s = ch.pipeline().get(WebSocketSession.class);
      if (s != null) {
        s.goodbye(reason);
        sockets.add(s);
      }
    }
    for (WebSocketSession s : sockets) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || !s.closeWritten().awaitUninterruptibly(left, TimeUnit.NANOSECONDS)) {
        break;
      }
    }
  }

  /** Connections that have not yet had a request admitted. */
  public int pendingConnections() {
    return pending.get();
  }

  boolean claimPending() {
    if (pending.incrementAndGet() > access.config().httpLimits().maxPendingConnections()) {
      pending.decrementAndGet();
      return false;
    }
    return true;
  }

  void releasePending() {
    pending.decrementAndGet();
  }

  /** Request-body bytes reserved by admitted requests whose response is not written yet. */
  public long bufferedUploadBytes() {
    return uploadBytes.get();
  }

  /** Reserves {@code bytes} of the server's upload budget; false (nothing reserved) if past it. */
  boolean claimUpload(long bytes) {
    long max = access.config().httpLimits().maxUploadBytes();
    while (true) {
      long now = uploadBytes.get();
      if (now + bytes > max) {
        return false;
      }
      if (uploadBytes.compareAndSet(now, now + bytes)) {
        return true;
      }
    }
  }

  void releaseUpload(long bytes) {
    uploadBytes.addAndGet(-bytes);
  }

  /** Closes the port, lets the WebSockets' goodbyes out, and stops the event loops. */
  @Override
  public void close() {
    if (serverChannel != null) {
      serverChannel.close().syncUninterruptibly();
    }
    awaitGoodbyes("server shutting down", GOODBYE_WAIT);
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  RouteAccess access() {
    return access;
  }

  boolean isReady() {
    return ready.getAsBoolean();
  }

  IntSupplier activeSessions() {
    return activeSessions;
  }

  Map<String, Object> info() {
    return info;
  }

  ChatRoute chat() {
    return chat;
  }

  TranscriptionRoutes transcription() {
    return transcription;
  }

  SpeechRoutes speech() {
    return speech;
  }

  StatusRoute status() {
    return status;
  }

  PromptVoicesRoute promptVoices() {
    return promptVoices;
  }

  OpenAiApi openAi() {
    return openAi;
  }
}
