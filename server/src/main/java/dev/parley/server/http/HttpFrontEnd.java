package dev.parley.server.http;

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
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

  private final RouteAccess access;
  private final BooleanSupplier ready;
  private final IntSupplier activeSessions;
  private final Map<String, Object> info;
  private final ChatRoute chat;
  private final TranscriptionRoutes transcription;
  private final SpeechRoutes speech;
  private final OpenAiApi openAi;
  private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
  private Channel serverChannel;

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
                    ch.pipeline()
                        .addLast(
                            new HttpServerCodec(),
                            new HttpObjectAggregator(MAX_UPLOAD_BYTES),
                            new HttpRouter(HttpFrontEnd.this));
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

  /** Closes the port and stops the event loops. */
  @Override
  public void close() {
    if (serverChannel != null) {
      serverChannel.close().syncUninterruptibly();
    }
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

  OpenAiApi openAi() {
    return openAi;
  }
}
