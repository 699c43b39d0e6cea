package dev.parley.server.grpc;

import dev.parley.proto.v1.DialogueGrpc;
import dev.parley.proto.v1.ModelsGrpc;
import dev.parley.proto.v1.SpeechGrpc;
import dev.parley.proto.v1.TranscriptionGrpc;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.dialogue.DialogueEngine;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.stt.SttEngine;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC API on its own port, on the same engines as the WebSocket paths: Dialogue,
 * Transcription, Speech, Models, {@code grpc.health.v1} (NOT_SERVING until warm-up is done; a
 * service without a model never turns SERVING) and server reflection.
 */
public final class GrpcServer implements AutoCloseable {
  /** Calls open at once on one connection (each session is one call). */
  static final int MAX_CALLS_PER_CONNECTION = 128;

  private final List<String> servingServices =
      new java.util.ArrayList<>(List.of("", ModelsGrpc.SERVICE_NAME));

  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();
  private final DialogueService dialogue; // null without a dialogue model
  private final SpeechService speech; // null without a TTS model
  private final ExecutorService transport;
  private final ScheduledExecutorService idleSweep;

  /** Either engine may be null: its service then answers UNIMPLEMENTED and says why. */
  public GrpcServer(
      DialogueEngine engine,
      SttEngine sttEngine,
      ServerConfig config,
      EngineMetrics metrics,
      String serverName) {
    this(engine, sttEngine, null, config, metrics, serverName);
  }

  /** Any engine may be null: its service then answers UNIMPLEMENTED and says why. */
  public GrpcServer(
      DialogueEngine engine,
      SttEngine sttEngine,
      dev.parley.server.tts.TtsEngine ttsEngine,
      ServerConfig config,
      EngineMetrics metrics,
      String serverName) {
    // Output encoding (Opus, resampling) runs here, off the engine thread and gRPC's threads.
    this.transport =
        Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()),
            daemon("parley-grpc-transport"));
    this.dialogue =
        engine == null ? null : new DialogueService(engine, config, metrics, transport, serverName);
    this.speech =
        ttsEngine == null
            ? null
            : new SpeechService(ttsEngine, metrics, transport, config.idleTimeout());
    GrpcTransportLog.install();
    ApiKeyInterceptor auth = new ApiKeyInterceptor(config.apiKeys(), metrics);
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.grpcPort()))
            .maxInboundMessageSize(config.maxMessageBytes())
            // Nobody holds a connection for nothing: the HTTP/2 preface must arrive within the
            // request timeout, a connection with no call open is sent away (GOAWAY, clients
            // reconnect) after the idle timeout, and one connection opens a bounded number of
            // calls.
            .handshakeTimeout(config.httpLimits().requestTimeout().toNanos(), TimeUnit.NANOSECONDS)
            .maxConnectionIdle(config.idleTimeout().toNanos(), TimeUnit.NANOSECONDS)
            .maxConcurrentCallsPerConnection(MAX_CALLS_PER_CONNECTION)
            // Handlers never block (audio decoding, queueing): run them on the transport's threads
            // rather than hopping to an executor for every message.
            .directExecutor()
            .addService(
                ServerInterceptors.intercept(
                    dialogue != null ? dialogue : new NotLoadedServices.Dialogue(), auth))
            .addService(
                ServerInterceptors.intercept(new ModelsService(engine, sttEngine, ttsEngine), auth))
            .addService(
                ServerInterceptors.intercept(
                    sttEngine != null
                        ? new TranscriptionService(
                            sttEngine, metrics, transport, config.maxQueuedFrames())
                        : new NotLoadedServices.Transcription(),
                    auth))
            .addService(
                ServerInterceptors.intercept(
                    speech != null ? speech : new NotLoadedServices.Speech(), auth))
            .addService(health.getHealthService())
            .addService(ServerInterceptors.intercept(ProtoReflectionServiceV1.newInstance(), auth));
    if (config.tlsCert() != null) {
      b.useTransportSecurity(config.tlsCert().toFile(), config.tlsKey().toFile());
    }
    this.server = b.build();
    if (engine != null) {
      servingServices.add(DialogueGrpc.SERVICE_NAME);
    }
    if (sttEngine != null) {
      servingServices.add(TranscriptionGrpc.SERVICE_NAME);
    }
    if (ttsEngine != null) {
      servingServices.add(SpeechGrpc.SERVICE_NAME);
    }
    for (String s :
        List.of(
            "",
            ModelsGrpc.SERVICE_NAME,
            DialogueGrpc.SERVICE_NAME,
            TranscriptionGrpc.SERVICE_NAME,
            SpeechGrpc.SERVICE_NAME)) {
      health.setStatus(s, ServingStatus.NOT_SERVING);
    }
    this.idleSweep = Executors.newSingleThreadScheduledExecutor(daemon("parley-grpc-idle"));
  }

  public GrpcServer start() throws IOException {
    server.start();
    if (dialogue != null) {
      idleSweep.scheduleWithFixedDelay(dialogue::closeIdleCalls, 1, 1, TimeUnit.SECONDS);
    }
    if (speech != null) {
      idleSweep.scheduleWithFixedDelay(speech::closeIdleCalls, 1, 1, TimeUnit.SECONDS);
    }
    return this;
  }

  /** Health turns SERVING (called after warm-up). */
  public void serving() {
    for (String s : servingServices) {
      health.setStatus(s, ServingStatus.SERVING);
    }
  }

  public int port() {
    return server.getPort();
  }

  /**
   * Draining: health turns NOT_SERVING and new sessions are refused as UNAVAILABLE "draining" (the
   * port stays open so the refusal carries that text); running calls go on.
   */
  public void drain() {
    for (String s : servingServices) {
      health.setStatus(s, ServingStatus.NOT_SERVING);
    }
    if (dialogue != null) {
      dialogue.stopAccepting();
    }
  }

  /** No new calls or sessions; running conversations continue until the engine closes them. */
  public void stopAccepting() {
    for (String s : servingServices) {
      health.setStatus(s, ServingStatus.NOT_SERVING);
    }
    if (dialogue != null) {
      dialogue.stopAccepting();
    }
    server.shutdown();
  }

  /** Dialogue and Speech calls in progress. */
  public int openCalls() {
    return (dialogue == null ? 0 : dialogue.openCalls())
        + (speech == null ? 0 : speech.openCalls());
  }

  @Override
  public void close() {
    stopAccepting();
    health.enterTerminalState();
    try {
      if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
        server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    idleSweep.shutdownNow();
    transport.shutdown();
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
