package dev.parley.server;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.dialogue.DialogueEngine;
import dev.parley.server.engine.BatchedEngine;
import dev.parley.server.grpc.GrpcServer;
import dev.parley.server.http.HttpFrontEnd;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.stt.SttEngine;
import dev.parley.server.stt.SttSettings;
import dev.parley.server.tts.SynthesisModel;
import dev.parley.server.tts.TtsEngine;
import dev.parley.server.tts.TtsSettings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The server's wiring: a batched engine per hosted model (dialogue, transcription, speech
 * synthesis), the HTTP and WebSocket port in front of them ({@link HttpFrontEnd}), gRPC on another
 * port ({@link GrpcServer}), and the metrics they share.
 */
public final class ParleyServer implements AutoCloseable {
  /** What a session still open when the drain time is over is told. */
  static final String CLOSED_AT_DRAIN_END = "server shutting down: the drain time is over";

  private final ServerConfig config;
  private final SpeechModel model;
  private final EngineMetrics metrics = new EngineMetrics();
  private final DialogueEngine engine; // null without a dialogue model
  private final SttEngine sttEngine; // null without a transcription model
  private final SpeechModel sttModel;
  private final TtsEngine ttsEngine; // null without a TTS model
  private final SynthesisModel ttsModel;
  private HttpFrontEnd http;
  private GrpcServer grpc; // null when gRPC is off
  private volatile boolean ready;
  private volatile boolean accepting = true;

  /** A server for one model: a dialogue model, or a transcription model (dep_q = 0). */
  public ParleyServer(SpeechModel model, ServerConfig config) {
    this(isTranscription(model) ? null : model, isTranscription(model) ? model : null, config);
  }

  /**
   * A server for a dialogue model, a transcription model, or both at once (either may be null, not
   * both). Each gets its own engine, thread and {@code maxSessions} slots; they share the device,
   * so both must fit its memory.
   */
  public ParleyServer(SpeechModel dialogueModel, SpeechModel sttModel, ServerConfig config) {
    this(dialogueModel, sttModel, null, config);
  }

  /**
   * A server for any of a dialogue model, a transcription model and a TTS model (at least one).
   * Each gets its own engine, thread and {@code maxSessions} slots; they share the device.
   */
  public ParleyServer(
      SpeechModel dialogueModel,
      SpeechModel sttModel,
      SynthesisModel ttsModel,
      ServerConfig config) {
    if (dialogueModel == null && sttModel == null && ttsModel == null) {
      throw new IllegalArgumentException("a server needs a dialogue, transcription or TTS model");
    }
    if (sttModel != null && !isTranscription(sttModel)) {
      throw new IllegalArgumentException(
          "model " + sttModel.name() + " generates audio: not a transcription model");
    }
    this.model = dialogueModel != null ? dialogueModel : sttModel; // null for a TTS-only server
    this.ttsModel = ttsModel;
    this.sttModel = sttModel;
    this.config = config;
    this.engine =
        dialogueModel == null
            ? null
            : new DialogueEngine(
                dialogueModel, config.maxSessions(), config.maxQueuedFrames(), metrics);
    this.sttEngine =
        sttModel == null
            ? null
            : new SttEngine(
                sttModel,
                SttSettings.of(sttModel),
                config.maxSessions(),
                config.maxQueuedFrames(),
                metrics.transcriptionObserver());
    this.ttsEngine =
        ttsModel == null
            ? null
            : new TtsEngine(
                ttsModel,
                TtsSettings.of(ttsModel),
                config.maxSessions(),
                metrics.synthesisObserver());
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

  /** Binds the ports, then warms the engines up (readyz turns true afterwards). */
  public ParleyServer start() throws Exception {
    Map<String, Object> info = info();
    http =
        new HttpFrontEnd(
                engine,
                sttEngine,
                ttsEngine,
                config,
                metrics,
                () -> ready,
                () -> accepting,
                this::activeSessions,
                info)
            .bind();
    if (config.grpcPort() >= 0) {
      grpc =
          new GrpcServer(engine, sttEngine, ttsEngine, config, metrics, (String) info.get("server"))
              .start();
    }
    metrics.warmingUp(true);
    EngineWarmUp.run(engine, sttEngine, ttsEngine);
    metrics.warmingUp(false);
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
    return http.port();
  }

  public EngineMetrics metrics() {
    return metrics;
  }

  public DialogueEngine engine() {
    return engine;
  }

  /** Open sessions of every engine. */
  public int activeSessions() {
    return (engine == null ? 0 : engine.activeSessions())
        + (sttEngine == null ? 0 : sttEngine.activeSessions())
        + (ttsEngine == null ? 0 : ttsEngine.activeSessions());
  }

  /** HTTP connections that have not yet had a request admitted (key and limits checked). */
  public int pendingConnections() {
    return http == null ? 0 : http.pendingConnections();
  }

  /** Request-body bytes the HTTP edge has reserved for uploads in progress. */
  public long bufferedUploadBytes() {
    return http == null ? 0 : http.bufferedUploadBytes();
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
    info.put("sample_rate", ModelAudio.SAMPLE_RATE);
    info.put("frame_rate", ModelAudio.FRAME_RATE);
    ai.djl.Device device = (model != null ? model.manager() : ttsModel.manager()).getDevice();
    info.put(
        "device",
        device.getDeviceType() + (device.getDeviceId() > 0 ? ":" + device.getDeviceId() : ""));
    info.put("codebooks", (model != null ? model.mimi() : ttsModel.mimi()).numCodebooks());
    List<String> services = new ArrayList<>();
    if (engine != null) {
      services.add("dialogue");
    }
    if (sttEngine != null) {
      services.add("transcription");
      info.put("stt_model", sttModel.name());
      info.put("stt_demo", sttModel.isDemo());
      info.put("stt_delay_seconds", sttEngine.settings().audioDelaySeconds());
    }
    if (ttsEngine != null) {
      services.add("speech");
      info.put("tts_model", ttsModel.name());
      info.put("tts_demo", ttsModel.isDemo());
      info.put("tts_voices", ttsEngine.voices().names().size());
      info.put("tts_default_voice", ttsEngine.voices().defaultVoice());
      info.put("tts_voice_names", ttsEngine.voices().names());
    }
    info.put("services", services);
    info.put("max_sessions", config.maxSessions());
    info.put("max_message_bytes", config.maxMessageBytes());
    info.put("auth", config.apiKeys().isOpen() ? "open" : "api-key");
    return info;
  }

  /**
   * Graceful stop, a drain: {@code /readyz} turns 503 and new sessions are refused as "draining" on
   * every transport at once; running sessions may go on for the drain time, then every session
   * still open is closed with a message.
   */
  public void shutdown() {
    drain();
    long deadline = System.nanoTime() + config.drainTime().toNanos();
    while (activeSessions() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (grpc != null) {
      grpc.stopAccepting();
    }
    if (engine != null) {
      engine.shutdown(CLOSED_AT_DRAIN_END);
    }
    if (sttEngine != null) {
      sttEngine.shutdown(CLOSED_AT_DRAIN_END);
    }
    if (ttsEngine != null) {
      ttsEngine.shutdown(CLOSED_AT_DRAIN_END);
    }
    if (grpc != null) {
      grpc.close();
    }
    if (http != null) {
      http.close();
    }
  }

  /** Not ready, and new sessions refused as "draining"; what is open goes on. */
  public void drain() {
    accepting = false;
    ready = false;
    for (var e : new BatchedEngine<?>[] {engine, sttEngine, ttsEngine}) {
      if (e != null) {
        e.drain();
      }
    }
    if (grpc != null) {
      grpc.drain();
    }
  }

  /** Whether a drain has begun. */
  public boolean isDraining() {
    return !accepting;
  }

  @Override
  public void close() {
    shutdown();
  }

  /** Blocks until the HTTP port closes. */
  public void awaitClose() throws InterruptedException {
    http.awaitClose();
  }
}
