package dev.parley.client.testing;

import dev.parley.proto.v1.ConverseRequest;
import dev.parley.proto.v1.ConverseResponse;
import dev.parley.proto.v1.DialogueGrpc;
import dev.parley.proto.v1.End;
import dev.parley.proto.v1.FrameTiming;
import dev.parley.proto.v1.ListModelsRequest;
import dev.parley.proto.v1.ListModelsResponse;
import dev.parley.proto.v1.ModelInfo;
import dev.parley.proto.v1.ModelType;
import dev.parley.proto.v1.ModelsGrpc;
import dev.parley.proto.v1.SessionConfig;
import dev.parley.proto.v1.SessionInfo;
import dev.parley.proto.v1.SpeechGrpc;
import dev.parley.proto.v1.TextPiece;
import dev.parley.proto.v1.TranscriptionGrpc;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A real gRPC server (Netty, loopback, ephemeral port) with hand-written stand-ins for Parley's
 * services, for checking the SDK's mechanics: headers, flow control, error mapping, cancellation.
 * The real server lives in another module and is tested with this SDK there.
 *
 * <p>The default Dialogue echoes: PCM_S16LE audio comes back unchanged, with one TextPiece and (if
 * asked) one FrameTiming per 80 ms of 24 kHz input, and End with the frame count (as input and
 * output frames: the echo has no delay). Transcription answers UNIMPLEMENTED, as a server without a
 * speech-to-text model does, unless one is given ({@link ScriptedTranscription}); so does Speech
 * unless one is given ({@link ScriptedSpeech}).
 */
public final class FakeParleyServer implements AutoCloseable {
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** Authorization headers of every call, in arrival order (null where absent). */
  public final List<String> authorizations = new CopyOnWriteArrayList<>();

  private final Server server;

  public FakeParleyServer(BindableService dialogue, String requiredKey) throws IOException {
    this(dialogue, new Models(), requiredKey);
  }

  /**
   * @param requiredKey the API key every call must carry, or null to accept any
   */
  public FakeParleyServer(BindableService dialogue, BindableService models, String requiredKey)
      throws IOException {
    this(dialogue, models, new TranscriptionGrpc.TranscriptionImplBase() {}, requiredKey);
  }

  /**
   * With a Transcription service (e.g. a {@link ScriptedTranscription}) instead of UNIMPLEMENTED.
   */
  public FakeParleyServer(
      BindableService dialogue,
      BindableService models,
      BindableService transcription,
      String requiredKey)
      throws IOException {
    this(dialogue, models, transcription, new SpeechGrpc.SpeechImplBase() {}, requiredKey);
  }

  /** With a Speech service (e.g. a {@link ScriptedSpeech}) instead of UNIMPLEMENTED. */
  public FakeParleyServer(
      BindableService dialogue,
      BindableService models,
      BindableService transcription,
      BindableService speech,
      String requiredKey)
      throws IOException {
    ServerInterceptor auth =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            String value = headers.get(AUTHORIZATION);
            authorizations.add(String.valueOf(value));
            if (requiredKey != null && !("Bearer " + requiredKey).equals(value)) {
              call.close(
                  Status.UNAUTHENTICATED.withDescription("missing or unknown API key"),
                  new Metadata());
              return new ServerCall.Listener<>() {};
            }
            return next.startCall(call, headers);
          }
        };
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(ServerInterceptors.intercept(dialogue, auth))
            .addService(ServerInterceptors.intercept(models, auth))
            .addService(ServerInterceptors.intercept(transcription, auth))
            .addService(ServerInterceptors.intercept(speech, auth))
            .build()
            .start();
  }

  public static FakeParleyServer echo() throws IOException {
    return new FakeParleyServer(new EchoDialogue(), null);
  }

  /** The echo Dialogue and this Transcription. */
  public static FakeParleyServer transcribing(BindableService transcription) throws IOException {
    return new FakeParleyServer(new EchoDialogue(), new Models(), transcription, null);
  }

  /** The echo Dialogue, no Transcription, and this Speech. */
  public static FakeParleyServer speaking(BindableService speech) throws IOException {
    return new FakeParleyServer(
        new EchoDialogue(),
        new Models(),
        new TranscriptionGrpc.TranscriptionImplBase() {},
        speech,
        null);
  }

  public int port() {
    return server.getPort();
  }

  public String target() {
    return "127.0.0.1:" + port();
  }

  @Override
  public void close() {
    try {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Two models, as a server with a dialogue and a transcription model would list them. */
  public static final class Models extends ModelsGrpc.ModelsImplBase {
    public static final List<ModelInfo> MODELS =
        List.of(
            ModelInfo.newBuilder()
                .setName("demo")
                .setType(ModelType.DIALOGUE)
                .setSampleRateHz(24000)
                .setFrameRateHz(12.5)
                .setCodebooks(8)
                .setTextVocabulary(32000)
                .setDevice("cpu()")
                .setMaxSessions(8)
                .setActiveSessions(1)
                .build(),
            ModelInfo.newBuilder()
                .setName("kyutai/stt-1b-en_fr")
                .setType(ModelType.TRANSCRIPTION)
                .setSampleRateHz(24000)
                .setFrameRateHz(12.5)
                .setTextVocabulary(8000)
                .setDevice("gpu(0)")
                .setMaxSessions(64)
                .build());

    @Override
    public void list(ListModelsRequest request, StreamObserver<ListModelsResponse> out) {
      out.onNext(ListModelsResponse.newBuilder().addAllModels(MODELS).build());
      out.onCompleted();
    }
  }

  /** Echoes 24 kHz PCM_S16LE input; see the class comment. */
  public static final class EchoDialogue extends DialogueGrpc.DialogueImplBase {
    private static final int FRAME_BYTES = 1920 * 2;

    @Override
    public StreamObserver<ConverseRequest> converse(StreamObserver<ConverseResponse> out) {
      return new StreamObserver<>() {
        SessionConfig config;
        long bytes;
        long frames;

        @Override
        public void onNext(ConverseRequest r) {
          switch (r.getKindCase()) {
            case CONFIG -> {
              config = r.getConfig();
              out.onNext(
                  ConverseResponse.newBuilder()
                      .setSession(
                          SessionInfo.newBuilder()
                              .setSessionId("s-1")
                              .setModel("echo")
                              .setModelSampleRateHz(24000)
                              .setFrameRateHz(12.5)
                              .setOutputFormat(config.getOutputFormat())
                              .setSampling(config.getSampling())
                              .setServer("fake/0"))
                      .build());
            }
            case AUDIO -> {
              if (config == null) {
                out.onError(
                    Status.INVALID_ARGUMENT
                        .withDescription("first message must be a SessionConfig")
                        .asRuntimeException());
                return;
              }
              out.onNext(ConverseResponse.newBuilder().setAudio(r.getAudio()).build());
              bytes += r.getAudio().getData().size();
              while (bytes >= (frames + 1) * FRAME_BYTES) {
                emitFrame();
              }
            }
            case CONTROL -> {
              if (bytes > frames * FRAME_BYTES) {
                emitFrame(); // the partial last frame, padded
              }
              out.onNext(
                  ConverseResponse.newBuilder()
                      .setEnd(End.newBuilder().setFrames(frames).setInputFrames(frames))
                      .build());
              out.onCompleted();
            }
            default -> {}
          }
        }

        private void emitFrame() {
          out.onNext(
              ConverseResponse.newBuilder()
                  .setText(
                      TextPiece.newBuilder()
                          .setText(" w" + frames)
                          .setFrameIndex(frames)
                          .setTimeMs(frames * 80))
                  .build());
          if (config.getFrameTiming()) {
            out.onNext(
                ConverseResponse.newBuilder()
                    .setTiming(
                        FrameTiming.newBuilder()
                            .setFrameIndex(frames)
                            .setServerLatencyMs(5 + frames % 3)
                            .setStepMs(4))
                    .build());
          }
          frames++;
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
  }
}
