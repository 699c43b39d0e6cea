package dev.parley.server.cli;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.parley.codec.torch.TorchRuntime;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ApiKeys;
import dev.parley.server.config.HttpLimits;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.lm.SamplingParams;
import dev.parley.server.model.ModelReference;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.persona.RepoVoices;
import dev.parley.server.tts.SynthesisModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Starts the server: a dialogue model (Kyutai-compatible {@code /api/chat}), a transcription model
 * ({@code /api/asr-streaming}), or both, with gRPC and the HTTP endpoints.
 */
@Command(
    mixinStandardHelpOptions = true,
    name = "serve",
    description =
        "Start the server (default: the offline demo dialogue, transcription and "
            + "speech-synthesis models; HTTP/WebSocket on 8998, gRPC on 9998).")
public final class ServeCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      defaultValue = "demo",
      description =
          "demo, a local directory, or a Hugging Face repo id[@revision] (default ${DEFAULT-VALUE}).")
  String model;

  @Option(
      names = "--stt-model",
      description =
          "A transcription model to host as well: demo-stt, a directory, or a "
              + "repo id such as kyutai/stt-1b-en_fr; none for no transcription (default: demo-stt with the demo model, "
              + "else none). Each model gets its own engine and --max-sessions slots; both must fit the device's memory.")
  String sttModel;

  @Option(
      names = "--tts-model",
      description =
          "A text-to-speech model to host as well: demo-tts, a directory, or "
              + "a repo id such as kyutai/tts-1.6b-en_fr; none for no speech synthesis (default: demo-tts with the demo "
              + "model, else none).")
  String ttsModel;

  @Option(
      names = "--voices",
      description =
          "Folder of voice files (<name>.<sig>@<epoch>.safetensors) for the TTS "
              + "model (default: the kyutai/tts-voices snapshot in the Hugging Face cache, fetching named voices when online).")
  Path voicesDir;

  @Option(
      names = "--prompt-voices",
      description =
          "Folder of WAV voice prompts (<name>.wav) a PersonaPlex model's sessions may name with"
              + " voice_prompt (default: a PersonaPlex repo's voices.tgz, unpacked once in the"
              + " Hugging Face cache; none for other models).")
  Path promptVoicesDir;

  @Option(
      names = "--prompt-cache",
      defaultValue = "${env:PARLEY_PROMPT_CACHE:-8}",
      description =
          "(voice, text) prompts whose prefilled state a PersonaPlex model keeps, least recently"
              + " used dropped, so that new sessions with one of them skip its prefill; 0: none"
              + " (default ${DEFAULT-VALUE}; env PARLEY_PROMPT_CACHE).")
  int promptCache;

  @Option(
      names = "--default-voice",
      description =
          "Voice used when a request names none (default: demo-alto with demo-tts; "
              + "expresso/ex03-ex01_happy_001_channel1_334s.wav with a Kyutai TTS model, as moshi-server).")
  String defaultVoice;

  @Option(
      names = "--host",
      defaultValue = "localhost",
      description = "Address to bind (default ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--port",
      defaultValue = "8998",
      description = "HTTP and WebSocket port (default ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--grpc-port",
      defaultValue = "9998",
      description = "gRPC port (default ${DEFAULT-VALUE}; -1 turns gRPC off).")
  int grpcPort;

  @Option(
      names = "--max-sessions",
      defaultValue = "16",
      description = "Concurrent sessions (default ${DEFAULT-VALUE}).")
  int maxSessions;

  @Option(names = "--half", description = "Compute the LM in float16.")
  boolean half;

  @Option(names = "--tls-cert", description = "PEM certificate chain: serve https/wss.")
  Path tlsCert;

  @Option(names = "--tls-key", description = "PEM private key (PKCS#8) for --tls-cert.")
  Path tlsKey;

  @Option(
      names = "--static",
      description = "Serve this directory's files at / (e.g. a built web client).")
  Path staticDir;

  @Option(
      names = "--api-keys",
      description =
          "File with one accepted API key per line; keys may also come "
              + "from the PARLEY_API_KEYS environment variable (comma-separated). None: the server is open.")
  Path apiKeys;

  @Option(
      names = "--text-temperature",
      defaultValue = "0.7",
      description = "Default text temperature (${DEFAULT-VALUE}).")
  double textTemperature;

  @Option(
      names = "--text-topk",
      defaultValue = "25",
      description = "Default text top-k (${DEFAULT-VALUE}).")
  int textTopK;

  @Option(
      names = "--audio-temperature",
      defaultValue = "0.8",
      description = "Default audio temperature (${DEFAULT-VALUE}).")
  double audioTemperature;

  @Option(
      names = "--audio-topk",
      defaultValue = "250",
      description = "Default audio top-k (${DEFAULT-VALUE}).")
  int audioTopK;

  @Option(
      names = "--max-message-bytes",
      defaultValue = "1048576",
      description = "Largest WebSocket message accepted (default ${DEFAULT-VALUE}).")
  int maxMessageBytes;

  @Option(
      names = "--idle-timeout",
      defaultValue = "30",
      description =
          "Seconds without a client message before "
              + "the session is closed (default ${DEFAULT-VALUE}).")
  int idleSeconds;

  @Option(
      names = "--request-timeout",
      defaultValue = "10",
      description =
          "Seconds an HTTP request's head may take to arrive, and its body may stall; idle "
              + "keep-alive connections close after it too (default ${DEFAULT-VALUE}).")
  int requestTimeoutSeconds;

  @Option(
      names = "--max-upload-mib",
      defaultValue = "256",
      description =
          "MiB of HTTP request bodies buffered at once over all connections; an upload past it "
              + "is refused with 503 (default ${DEFAULT-VALUE}).")
  long maxUploadMib;

  @Option(
      names = "--drain-seconds",
      defaultValue = "${env:PARLEY_DRAIN_SECONDS:-30}",
      description =
          "On SIGTERM: /readyz turns 503 and new sessions are refused as \"draining\" at once; "
              + "running sessions may go on this long, then are closed with a message "
              + "(default ${DEFAULT-VALUE}; env PARLEY_DRAIN_SECONDS).")
  int drainSeconds;

  @Mixin DeviceOptions device;

  @Override
  public Integer call() throws Exception {
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new IllegalArgumentException("--tls-cert and --tls-key go together");
    }
    if (drainSeconds < 0) {
      throw new IllegalArgumentException("--drain-seconds must be 0 or more");
    }
    if (promptCache < 0) {
      throw new IllegalArgumentException("--prompt-cache must be 0 or more");
    }
    Device target = TorchRuntime.device(device.device);
    if (device.threads != null) {
      TorchRuntime.setThreads(device.threads);
    } else if ("cpu".equals(target.getDeviceType())) {
      TorchRuntime.setThreads(TorchRuntime.serverCpuThreads());
    }
    ApiKeys keys = ApiKeys.load(apiKeys, System.getenv("PARLEY_API_KEYS"));
    ServerConfig config =
        ServerConfig.defaults()
            .withHost(host)
            .withPort(port)
            .withGrpcPort(grpcPort)
            .withMaxSessions(maxSessions)
            .withSampling(
                new SamplingParams(textTemperature, textTopK, 0),
                new SamplingParams(audioTemperature, audioTopK, 0))
            .withStatic(staticDir)
            .withTls(tlsCert, tlsKey)
            .withApiKeys(keys)
            .withLimits(maxMessageBytes, 25, Duration.ofSeconds(idleSeconds))
            .withHttpLimits(
                HttpLimits.defaults()
                    .withRequestTimeout(Duration.ofSeconds(requestTimeoutSeconds))
                    .withMaxUploadBytes(maxUploadMib << 20))
            .withDrainTime(Duration.ofSeconds(drainSeconds));
    DataType dtype = half ? DataType.FLOAT16 : DataType.FLOAT32;
    ModelReference reference = ModelReference.parse(model);
    SpeechModel m = SpeechModel.load(reference, ModelFiles.resolver(), target, dtype);
    String stt = sttModel != null ? sttModel : model.equals("demo") ? "demo-stt" : "none";
    SpeechModel s =
        stt.equals("none") || m.lm().config().depQ() == 0
            ? null
            : SpeechModel.load(ModelReference.parse(stt), ModelFiles.resolver(), target, dtype);
    String tts =
        ttsModel != null ? ttsModel : model.equals("demo") ? SynthesisModel.DEMO_NAME : "none";
    SynthesisModel t =
        tts.equals("none")
            ? null
            : tts.equals(SynthesisModel.DEMO_NAME)
                ? SynthesisModel.demo(target)
                : SynthesisModel.load(
                    ModelReference.parse(tts),
                    ModelFiles.resolver(),
                    target,
                    dtype,
                    voicesDir,
                    defaultVoice);
    boolean dialogue = m.lm().config().depQ() > 0;
    ParleyServer server = new ParleyServer(dialogue ? m : null, dialogue ? s : m, t, config);
    if (server.engine() != null) {
      server.engine().usePromptCache(promptCache);
      server
          .engine()
          .usePromptVoices(RepoVoices.choose(promptVoicesDir, m, reference, ModelFiles.resolver()));
    }
    try {
      server.start();
    } catch (Exception e) {
      server.shutdown();
      throw PortInUse.explain(e, host, port, grpcPort);
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.err.println(
                      "draining: no new sessions; running ones get up to "
                          + config.drainTime().toSeconds()
                          + " s");
                  server.shutdown();
                  System.err.println("drained: stopped");
                  m.close();
                  if (s != null) {
                    s.close();
                  }
                  if (t != null) {
                    t.close();
                  }
                  // A drain that ran to its end is a clean stop: exit 0, not 143 (SIGTERM).
                  System.out.flush();
                  System.err.flush();
                  Runtime.getRuntime().halt(0);
                },
                "parley-shutdown"));
    String scheme = tlsCert != null ? "https" : "http";
    String ws = tlsCert != null ? "wss" : "ws";
    System.out.println(
        "Parley " + ParleyMain.version() + " serving " + m.name() + " (" + m.modelType() + ")");
    if (server.engine() != null) {
      System.out.printf(
          "  chat:    %s://%s:%d/api/chat   (Kyutai's /api/chat protocol)%n",
          ws, host, server.port());
      if (server.engine().acceptsPrompts()) {
        System.out.printf(
            "  prompts: text_prompt, voice_prompt: %d voices%s%n",
            server.engine().promptVoices().names().size(),
            server.engine().promptVoices().folder().map(f -> " in " + f).orElse(""));
      }
    }
    if (server.sttEngine() != null) {
      System.out.printf(
          "  stt:     %s://%s:%d/api/asr-streaming   (moshi-server's protocol; POST a file for JSON) "
              + "model %s%n",
          ws, host, server.port(), server.sttEngine().model().name());
    }
    if (server.ttsEngine() != null) {
      System.out.printf(
          "  tts:     %s://%s:%d/api/tts_streaming   (moshi-server's protocol; POST /api/tts for a file) "
              + "model %s, %d voices%n",
          ws,
          host,
          server.port(),
          server.ttsEngine().model().name(),
          server.ttsEngine().voices().names().size());
    }
    System.out.printf(
        "  http:    %s://%s:%d/  /healthz /readyz /metrics /api/info%n",
        scheme, host, server.port());
    if (server.grpcPort() >= 0) {
      System.out.printf(
          "  grpc:    %s:%d   (parley.v1 %s%sModels; health, reflection%s)%n",
          host,
          server.grpcPort(),
          server.engine() != null ? "Dialogue, " : "",
          (server.sttEngine() != null ? "Transcription, " : "")
              + (server.ttsEngine() != null ? "Speech, " : ""),
          tlsCert != null ? "; TLS" : "");
    }
    System.out.printf(
        "  limits:  %d sessions, %d-byte messages, %d s idle timeout%n",
        maxSessions, maxMessageBytes, idleSeconds);
    System.out.println(
        "  auth:    "
            + (keys.isOpen()
                ? "OPEN: no API key configured (--api-keys or PARLEY_API_KEYS)"
                : keys.size() + " API key(s)"));
    if (m.isDemo()) {
      System.out.println(
          "  NOTE: the demo models have random weights: their audio is not speech and their "
              + "text and transcripts are not language.");
      System.out.println(
          "        For real weights: java -jar server/target/parley-server.jar serve "
              + "--model kyutai/moshiko-pytorch-bf16 --stt-model kyutai/stt-1b-en_fr --tts-model kyutai/tts-1.6b-en_fr");
    }
    System.out.flush();
    server.awaitClose();
    return 0;
  }
}
