package dev.parley.server.http;

import dev.parley.server.engine.DialogueEngine;
import dev.parley.server.engine.OutputFrame;
import dev.parley.server.engine.Session;
import dev.parley.server.engine.SessionListener;
import dev.parley.server.engine.SessionOptions;
import dev.parley.server.stt.SttEngine;
import dev.parley.server.tts.SynthesisModel;
import dev.parley.server.tts.TtsEngine;
import dev.parley.server.tts.TtsListener;
import dev.parley.server.tts.TtsOptions;
import dev.parley.server.tts.TtsSession;
import dev.parley.server.tts.TtsSettings;
import dev.parley.server.stt.SttListener;
import dev.parley.server.stt.SttOptions;
import dev.parley.server.stt.SttSession;
import dev.parley.server.stt.SttSettings;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.model.SpeechModel;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server: one Netty port for WebSocket and HTTP, gRPC on another, and behind them a batched
 * engine per hosted model (dialogue, transcription).
 */
public final class ParleyServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ParleyServer.class);

  private final ServerConfig config;
  private final SpeechModel model;
  private final EngineMetrics metrics = new EngineMetrics();
  private final DialogueEngine engine; // null without a dialogue model
  private final SttEngine sttEngine; // null without a transcription model
  private final SpeechModel sttModel;
  private final TtsEngine ttsEngine; // null without a TTS model
  private final SynthesisModel ttsModel;
  private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
  private Channel serverChannel;
  private dev.parley.server.grpc.GrpcServer grpc; // null when gRPC is off
  private volatile boolean ready;
  private volatile boolean accepting = true;

  /** Largest HTTP request body: a file POSTed for transcription (about 8 minutes of 24 kHz 16-bit WAV). */
  static final int MAX_UPLOAD_BYTES = 24 << 20;

  /** A server for one model: a dialogue model, or a transcription model (dep_q = 0). */
  public ParleyServer(SpeechModel model, ServerConfig config) {
    this(isTranscription(model) ? null : model, isTranscription(model) ? model : null, config);
  }

  /**
   * A server for a dialogue model, a transcription model, or both at once (either may be null,
   * not both). Each gets its own engine, thread and {@code maxSessions} slots; they share the
   * device, so both must fit its memory.
   */
  public ParleyServer(SpeechModel dialogueModel, SpeechModel sttModel, ServerConfig config) {
    this(dialogueModel, sttModel, null, config);
  }

  /**
   * A server for any of a dialogue model, a transcription model and a TTS model (at least one).
   * Each gets its own engine, thread and {@code maxSessions} slots; they share the device.
   */
  public ParleyServer(SpeechModel dialogueModel, SpeechModel sttModel, SynthesisModel ttsModel, ServerConfig config) {
    if (dialogueModel == null && sttModel == null && ttsModel == null) {
      throw new IllegalArgumentException("a server needs a dialogue, transcription or TTS model");
    }
    if (sttModel != null && !isTranscription(sttModel)) {
      throw new IllegalArgumentException("model " + sttModel.name() + " generates audio: not a transcription model");
    }
    this.model = dialogueModel != null ? dialogueModel : sttModel; // null for a TTS-only server
    this.ttsModel = ttsModel;
    this.sttModel = sttModel;
    this.config = config;
    this.engine = dialogueModel == null ? null
        : new DialogueEngine(dialogueModel, config.maxSessions(), config.maxQueuedFrames(), metrics);
    this.sttEngine = sttModel == null ? null : new SttEngine(sttModel, SttSettings.of(sttModel), config.maxSessions(),
        config.maxQueuedFrames(), metrics.transcriptionObserver());
    this.ttsEngine = ttsModel == null ? null
        : new TtsEngine(ttsModel, TtsSettings.of(ttsModel), config.maxSessions(), metrics.synthesisObserver());
  }

  /** The TTS engine, or null when the server has no TTS model. */
  public TtsEngine ttsEngine() {
    return ttsEngine;
  }

  static boolean isTranscription(SpeechModel m) {
    return m.lm().config().depQ() == 0;
  }

  /** The transcription engine, or null when the server has no transcription model. */
  public SttEngine sttEngine() {
    return sttEngine;
  }

  /** Binds the port, then warms the engine up (readyz turns true afterwards). */
  public ParleyServer start() throws Exception {
    SslContext ssl = config.tlsCert() == null ? null
        : SslContextBuilder.forServer(config.tlsCert().toFile(), config.tlsKey().toFile()).build();
    Map<String, Object> info = info();
    ServerBootstrap b = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        // Output for a slow reader is bounded: the socket stops being writable past 1 MiB.
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 << 10, 1 << 20))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (ssl != null) {
              ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
            }
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_UPLOAD_BYTES),
                new HttpRouter(engine, sttEngine, ttsEngine, config, metrics, () -> ready, () -> accepting, info));
          }
        });
    serverChannel = b.bind(new InetSocketAddress(config.host(), config.port())).sync().channel();
    if (config.grpcPort() >= 0) {
      grpc = new dev.parley.server.grpc.GrpcServer(engine, sttEngine, ttsEngine, config, metrics,
          (String) info.get("server")).start();
    }
    warmUp();
    ready = true;
    if (grpc != null) {
      grpc.serving();
    }
    return this;
  }

  /** The bound gRPC port, or -1 when gRPC is off. */
  public int grpcPort() {
    return grpc == null ? -1 : grpc.port();
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  public EngineMetrics metrics() {
    return metrics;
  }

  public DialogueEngine engine() {
    return engine;
  }

  /** Open sessions of every engine. */
  public int activeSessions() {
    return (engine == null ? 0 : engine.activeSessions()) + (sttEngine == null ? 0 : sttEngine.activeSessions())
        + (ttsEngine == null ? 0 : ttsEngine.activeSessions());
  }

  public boolean isReady() {
    return ready;
  }

  private Map<String, Object> info() {
    Map<String, Object> info = new LinkedHashMap<>();
    String version = ParleyServer.class.getPackage().getImplementationVersion();
    info.put("server", "parley/" + (version == null ? "dev" : version));
    info.put("model", model != null ? model.name() : ttsModel.name());
    info.put("model_type", model != null ? model.modelType() : "tts");
    info.put("demo", model != null ? model.isDemo() : ttsModel.isDemo());
    info.put("sample_rate", 24000);
    info.put("frame_rate", 12.5);
    info.put("codebooks", (model != null ? model.mimi() : ttsModel.mimi()).numCodebooks());
    List<String> services = new ArrayList<>();
    if (engine != null) {
      services.add("dialogue");
    }
    if (sttEngine != null) {
      services.add("transcription");
      info.put("stt_model", sttModel.name());
      info.put("stt_delay_seconds", sttEngine.settings().audioDelaySeconds());
    }
    if (ttsEngine != null) {
      services.add("speech");
      info.put("tts_model", ttsModel.name());
      info.put("tts_voices", ttsEngine.voices().names().size());
      info.put("tts_default_voice", ttsEngine.voices().defaultVoice());
    }
    info.put("services", services);
    info.put("max_sessions", config.maxSessions());
    info.put("max_message_bytes", config.maxMessageBytes());
    info.put("auth", config.apiKeys().isOpen() ? "open" : "api-key");
    return info;
  }

  /** A few frames of silence through a throwaway session: first-call costs are paid before clients come. */
  private void warmUp() throws Exception {
    long t0 = System.nanoTime();
    CodecWarmUp.run(CODEC_WARM_UP_SECONDS);
    long t1 = System.nanoTime();
    if (engine != null) {
      warmUpEngine();
    }
    if (sttEngine != null) {
      warmUpTranscription();
    }
    if (ttsEngine != null) {
      warmUpSynthesis();
    }
    LOG.info("warm-up: Ogg Opus {} ms, engine {} ms", (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
  }

  /** Enough audio for the C2 compiler to finish with Concentus's hot paths (measured: bench chat). */
  static final double CODEC_WARM_UP_SECONDS = 60;

  /** Every slot steps a few frames together, so full-batch shapes and the Java side are warm too. */
  private void warmUpEngine() throws Exception {
    int n = engine.maxSessions();
    CountDownLatch frames = new CountDownLatch(3 * n);
    List<Session> sessions = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sessions.add(engine.open(SessionOptions.greedy(), new SessionListener() {
        @Override
        public void onFrame(OutputFrame frame) {
          frames.countDown();
        }

        @Override
        public void onClosed(String reason) {}
      }));
    }
    float[] audio = CodecWarmUp.speechLike(4 * 1920, 11);
    for (Session s : sessions) {
      s.offerAudio(audio, 0, audio.length);
    }
    if (!frames.await(120, TimeUnit.SECONDS)) {
      LOG.warn("engine warm-up did not finish in 120 s");
    }
    sessions.forEach(Session::close);
  }

  /** Every transcription slot runs a short stream to its end: prefix, audio, flush, transcript. */
  private void warmUpTranscription() throws Exception {
    int n = sttEngine.maxSessions();
    CountDownLatch closed = new CountDownLatch(n);
    List<SttSession> sessions = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sessions.add(sttEngine.open(SttOptions.defaults(), new SttListener() {
        @Override
        public void onWord(int index, String text, double startSeconds) {}

        @Override
        public void onClosed(String reason) {
          closed.countDown();
        }
      }));
    }
    float[] audio = CodecWarmUp.speechLike(4 * 1920, 13);
    for (SttSession s : sessions) {
      s.offerAudio(audio, 0, audio.length);
      s.endOfInput();
    }
    if (!closed.await(120, TimeUnit.SECONDS)) {
      LOG.warn("transcription warm-up did not finish in 120 s");
      sessions.forEach(SttSession::close);
    }
  }

  /** Every synthesis slot speaks a few words to the end. */
  private void warmUpSynthesis() throws Exception {
    int n = ttsEngine.maxSessions();
    CountDownLatch closed = new CountDownLatch(n);
    List<TtsSession> sessions = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sessions.add(ttsEngine.synthesize(List.of("warming up the voice"), TtsOptions.defaults(), new TtsListener() {
        @Override
        public void onAudio(float[] pcm) {}

        @Override
        public void onClosed(String reason) {
          closed.countDown();
        }
      }));
    }
    if (!closed.await(120, TimeUnit.SECONDS)) {
      LOG.warn("synthesis warm-up did not finish in 120 s");
      sessions.forEach(TtsSession::close);
    }
  }

  /**
   * Graceful stop: no new sessions, running ones may continue for the grace period, then every
   * session still open is closed with a message.
   */
  public void shutdown() {
    accepting = false;
    ready = false;
    if (grpc != null) {
      grpc.stopAccepting();
    }
    long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
    while (activeSessions() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (engine != null) {
      engine.shutdown("server shutting down");
    }
    if (sttEngine != null) {
      sttEngine.shutdown("server shutting down");
    }
    if (ttsEngine != null) {
      ttsEngine.shutdown("server shutting down");
    }
    if (grpc != null) {
      grpc.close();
    }
    if (serverChannel != null) {
      serverChannel.close().syncUninterruptibly();
    }
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Override
  public void close() {
    shutdown();
  }

  /** Blocks until the server channel closes. */
  public void awaitClose() throws InterruptedException {
    serverChannel.closeFuture().sync();
  }
}
