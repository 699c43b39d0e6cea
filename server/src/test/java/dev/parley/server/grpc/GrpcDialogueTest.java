package dev.parley.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.google.protobuf.ByteString;
import dev.parley.codec.audio.Pcm;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.wav.WavReader;
import dev.parley.proto.v1.AudioChunk;
import dev.parley.proto.v1.AudioFormat;
import dev.parley.proto.v1.Control;
import dev.parley.proto.v1.ConverseRequest;
import dev.parley.proto.v1.ConverseResponse;
import dev.parley.proto.v1.DialogueGrpc;
import dev.parley.proto.v1.Encoding;
import dev.parley.proto.v1.ListModelsRequest;
import dev.parley.proto.v1.ModelInfo;
import dev.parley.proto.v1.ModelType;
import dev.parley.proto.v1.ModelsGrpc;
import dev.parley.proto.v1.SamplingParams;
import dev.parley.proto.v1.SessionConfig;
import dev.parley.proto.v1.SpeechGrpc;
import dev.parley.proto.v1.SynthesizeRequest;
import dev.parley.proto.v1.TranscribeRequest;
import dev.parley.proto.v1.TranscriptionGrpc;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ApiKeys;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real server with gRPC on a loopback port and a real Netty gRPC channel. */
class GrpcDialogueTest {
  static final String KEY = "grpc-test-key";
  static SpeechModel model;
  static ParleyServer server;
  static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    model = DemoModel.build(Device.cpu());
    server =
        new ParleyServer(
                model,
                ServerConfig.builder()
                    .host("127.0.0.1")
                    .port(0)
                    .grpcPort(0)
                    .maxSessions(2)
                    .apiKeys(new ApiKeys(Set.of(KEY)))
                    .build())
            .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    model.close();
  }

  static Metadata auth(String key) {
    Metadata m = new Metadata();
    m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
    return m;
  }

  static DialogueGrpc.DialogueStub dialogue() {
    return DialogueGrpc.newStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth(KEY)));
  }

  /** Everything one call received, and how it ended. */
  static final class Recorder implements StreamObserver<ConverseResponse> {
    final List<ConverseResponse> messages = new CopyOnWriteArrayList<>();
    final CompletableFuture<Status> done = new CompletableFuture<>();

    @Override
    public void onNext(ConverseResponse r) {
      messages.add(r);
    }

    @Override
    public void onError(Throwable t) {
      done.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      done.complete(Status.OK);
    }

    Status await() throws Exception {
      return done.get(60, TimeUnit.SECONDS);
    }

    List<ConverseResponse> of(ConverseResponse.KindCase kind) {
      return messages.stream().filter(m -> m.getKindCase() == kind).toList();
    }

    byte[] audio() {
      var out = new java.io.ByteArrayOutputStream();
      of(ConverseResponse.KindCase.AUDIO)
          .forEach(m -> out.writeBytes(m.getAudio().getData().toByteArray()));
      return out.toByteArray();
    }
  }

  static ConverseRequest config(AudioFormat in, AudioFormat out, SamplingParams sampling) {
    SessionConfig.Builder c = SessionConfig.newBuilder().setInputFormat(in).setFrameTiming(true);
    if (out != null) {
      c.setOutputFormat(out);
    }
    if (sampling != null) {
      c.setSampling(sampling);
    }
    return ConverseRequest.newBuilder().setConfig(c).build();
  }

  static ConverseRequest audio(byte[] data) {
    return ConverseRequest.newBuilder()
        .setAudio(AudioChunk.newBuilder().setData(ByteString.copyFrom(data)))
        .build();
  }

  static ConverseRequest endOfInput() {
    return ConverseRequest.newBuilder()
        .setControl(Control.newBuilder().setAction(Control.Action.END_OF_INPUT))
        .build();
  }

  static AudioFormat format(Encoding e, int rate, int channels) {
    return AudioFormat.newBuilder()
        .setEncoding(e)
        .setSampleRateHz(rate)
        .setChannels(channels)
        .build();
  }

  static final SamplingParams GREEDY =
      SamplingParams.newBuilder().setTextTemperature(0).setAudioTemperature(0).setSeed(1).build();

  @Test
  void espeakSpeechAt16kHzGoesInAndTheRepliesAudioTextAndTimingComeBack(@TempDir Path dir)
      throws Exception {
    Path wav = ExternalTools.speechWav(dir, "Hello Parley, this is a test over gRPC.", 16000);
    float[] speech = WavReader.read(wav).samples();
    Recorder r = new Recorder();
    StreamObserver<ConverseRequest> in = dialogue().converse(r);
    in.onNext(
        config(format(Encoding.PCM_S16LE, 16000, 1), format(Encoding.PCM_S16LE, 24000, 1), GREEDY));
    byte[] pcm = Pcm.monoToS16le(speech, 0, speech.length);
    for (int i = 0; i < pcm.length; i += 3000) { // odd-sized chunks, as fast as flow control allows
      in.onNext(audio(java.util.Arrays.copyOfRange(pcm, i, Math.min(pcm.length, i + 3000))));
    }
    in.onNext(endOfInput());
    assertThat(r.await()).isEqualTo(Status.OK);
    in.onCompleted();

    assertThat(r.messages.get(0).getKindCase())
        .as("SessionInfo first")
        .isEqualTo(ConverseResponse.KindCase.SESSION);
    assertThat(r.messages.get(0).getSession().getModel()).isEqualTo("demo");
    assertThat(r.messages.get(r.messages.size() - 1).getKindCase())
        .isEqualTo(ConverseResponse.KindCase.END);
    long inputFrames = (long) Math.ceil(speech.length * 1.5 / 1920); // 16 → 24 kHz
    var end = r.messages.get(r.messages.size() - 1).getEnd();
    assertThat(end.getInputFrames()).isBetween(inputFrames - 1, inputFrames + 1);
    // One output frame per input frame after the first (the model's acoustic delay).
    assertThat(end.getFrames()).isEqualTo(end.getInputFrames() - 1);
    int replySamples = r.audio().length / 2;
    assertThat(replySamples)
        .isBetween((int) (end.getFrames() - 1) * 1920, (int) end.getFrames() * 1920 + 1920);
    assertThat(r.of(ConverseResponse.KindCase.TIMING)).hasSize((int) end.getFrames());
    assertThat(r.of(ConverseResponse.KindCase.TIMING).get(0).getTiming().getServerLatencyMs())
        .isPositive();
    waitForNoSessions();
  }

  @Test
  void oggOpusOutputAt48kHzIsAStreamOpusdecDecodes(@TempDir Path dir) throws Exception {
    ExternalTools.require("opusdec", "opus-tools");
    float[] tone = dev.parley.codec.testing.Signals.sine(200, 24000, 24000 * 2, 0.3);
    Recorder r = new Recorder();
    StreamObserver<ConverseRequest> in = dialogue().converse(r);
    in.onNext(
        config(format(Encoding.PCM_F32LE, 24000, 1), format(Encoding.OGG_OPUS, 48000, 1), GREEDY));
    in.onNext(audio(Pcm.monoToF32le(tone, 0, tone.length)));
    in.onCompleted(); // a half-close ends the input too
    assertThat(r.await()).isEqualTo(Status.OK);
    Path ogg = dir.resolve("reply.opus");
    java.nio.file.Files.write(ogg, r.audio());
    Path back = dir.resolve("reply.wav");
    ExternalTools.run("opusdec", "--rate", "24000", ogg.toString(), back.toString());
    long frames = r.of(ConverseResponse.KindCase.END).get(0).getEnd().getFrames();
    assertThat(WavReader.read(back).samples().length)
        .isBetween((int) (frames - 1) * 1920, (int) frames * 1920);
  }

  @Test
  void badRequestsGetInvalidArgumentWithAMessageSayingWhat() throws Exception {
    assertThat(callWith(List.of(audio(new byte[10]))))
        .satisfies(
            s -> {
              assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(s.getDescription()).contains("first message must be a SessionConfig");
            });
    assertThat(callWith(List.of(config(AudioFormat.getDefaultInstance(), null, null))))
        .satisfies(
            s -> {
              assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(s.getDescription()).contains("input_format.encoding");
            });
    assertThat(callWith(List.of(config(format(Encoding.OPUS, 44100, 1), null, null))))
        .satisfies(s -> assertThat(s.getDescription()).contains("44100"));
    assertThat(
            callWith(
                List.of(
                    config(
                        format(Encoding.PCM_S16LE, 24000, 1),
                        null,
                        SamplingParams.newBuilder().setTextTopK(-3).build()))))
        .satisfies(s -> assertThat(s.getDescription()).contains("text_top_k"));
    assertThat(
            callWith(
                List.of(
                    config(format(Encoding.OGG_OPUS, 24000, 1), null, null),
                    audio("this is not an Ogg stream".getBytes()))))
        .satisfies(
            s -> {
              assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(s.getDescription()).startsWith("undecodable audio");
            });
    byte[] nan =
        java.nio.ByteBuffer.allocate(8)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN)
            .putFloat(Float.NaN)
            .putFloat(0)
            .array();
    assertThat(
            callWith(List.of(config(format(Encoding.PCM_F32LE, 24000, 1), null, null), audio(nan))))
        .satisfies(s -> assertThat(s.getDescription()).contains("NaN"));
    waitForNoSessions();
  }

  static Status callWith(List<ConverseRequest> requests) throws Exception {
    Recorder r = new Recorder();
    StreamObserver<ConverseRequest> in = dialogue().converse(r);
    requests.forEach(in::onNext);
    Status s = r.await();
    in.onCompleted();
    return s;
  }

  @Test
  void aMissingOrWrongKeyIsUnauthenticated() throws Exception {
    for (Metadata m : new Metadata[] {new Metadata(), auth("wrong")}) {
      Recorder r = new Recorder();
      DialogueGrpc.newStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m))
          .converse(r);
      assertThat(r.await().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    }
    try {
      ModelsGrpc.newBlockingStub(channel).list(ListModelsRequest.getDefaultInstance());
      throw new AssertionError("no key, yet the call went through");
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(e.getStatus().getDescription()).contains("authorization: Bearer");
    }
  }

  @Test
  void oneSessionTooManyIsResourceExhaustedAndCancellingFreesTheSlotAtOnce() throws Exception {
    List<Recorder> open = new ArrayList<>();
    List<StreamObserver<ConverseRequest>> streams = new ArrayList<>();
    for (int i = 0; i < 2; i++) { // the server has 2 slots
      Recorder r = new Recorder();
      var call = dialogue().withDeadlineAfter(60, TimeUnit.SECONDS);
      StreamObserver<ConverseRequest> in = call.converse(r);
      in.onNext(config(format(Encoding.PCM_S16LE, 24000, 1), null, GREEDY));
      open.add(r);
      streams.add(in);
    }
    waitFor(() -> server.engine().activeSessions() == 2);
    assertThat(callWith(List.of(config(format(Encoding.PCM_S16LE, 24000, 1), null, null))))
        .satisfies(
            s -> {
              assertThat(s.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(s.getDescription()).contains("server full");
            });
    streams.get(0).onError(Status.CANCELLED.asRuntimeException()); // the client cancels mid-stream
    waitFor(() -> server.engine().activeSessions() == 1);
    assertThat(server.engine().activeSessions()).isEqualTo(1);
    // A deadline frees the slot just as fast.
    Recorder late = new Recorder();
    StreamObserver<ConverseRequest> in =
        dialogue().withDeadlineAfter(300, TimeUnit.MILLISECONDS).converse(late);
    in.onNext(config(format(Encoding.PCM_S16LE, 24000, 1), null, null));
    assertThat(late.await().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    streams.get(1).onCompleted();
    waitForNoSessions();
  }

  @Test
  void modelsHealthAndReflection() throws Exception {
    ModelInfo info =
        ModelsGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth(KEY)))
            .list(ListModelsRequest.getDefaultInstance())
            .getModels(0);
    assertThat(info.getName()).isEqualTo("demo");
    assertThat(info.getType()).isEqualTo(ModelType.DIALOGUE);
    assertThat(info.getSampleRateHz()).isEqualTo(24000);
    assertThat(info.getCodebooks()).isEqualTo(model.mimi().numCodebooks());
    assertThat(info.getMaxSessions()).isEqualTo(2);

    var health = HealthGrpc.newBlockingStub(channel); // open without a key: orchestrators probe it
    assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(
            health
                .check(
                    HealthCheckRequest.newBuilder().setService(DialogueGrpc.SERVICE_NAME).build())
                .getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

    // Reflection lists the services: it needs the key like them.
    assertThatThrownBy(() -> listServices(ServerReflectionGrpc.newStub(channel)))
        .hasRootCauseInstanceOf(io.grpc.StatusRuntimeException.class)
        .rootCause()
        .hasMessageContaining("UNAUTHENTICATED");
    assertThat(
            listServices(
                ServerReflectionGrpc.newStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth(KEY)))))
        .contains(
            DialogueGrpc.SERVICE_NAME,
            ModelsGrpc.SERVICE_NAME,
            TranscriptionGrpc.SERVICE_NAME,
            SpeechGrpc.SERVICE_NAME,
            "grpc.health.v1.Health");
  }

  static List<String> listServices(ServerReflectionGrpc.ServerReflectionStub stub)
      throws Exception {
    CompletableFuture<List<String>> services = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> reflection =
        stub.serverReflectionInfo(
            new StreamObserver<>() {
              @Override
              public void onNext(ServerReflectionResponse r) {
                services.complete(
                    r.getListServicesResponse().getServiceList().stream()
                        .map(s -> s.getName())
                        .toList());
              }

              @Override
              public void onError(Throwable t) {
                services.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {}
            });
    reflection.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
    try {
      return services.get(10, TimeUnit.SECONDS);
    } finally {
      reflection.onCompleted();
    }
  }

  @Test
  void transcriptionAndSpeechSayTheirModelIsNotLoaded() throws Exception {
    var speech =
        SpeechGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth(KEY)));
    try {
      speech.synthesize(SynthesizeRequest.newBuilder().setText("hello").build()).hasNext();
      throw new AssertionError("synthesis answered");
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
      assertThat(e.getStatus().getDescription())
          .contains("no speech synthesis model")
          .contains("--tts-model");
    }
    CompletableFuture<Status> done = new CompletableFuture<>();
    TranscriptionGrpc.newStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth(KEY)))
        .transcribe(
            new StreamObserver<>() {
              @Override
              public void onNext(dev.parley.proto.v1.TranscribeResponse value) {}

              @Override
              public void onError(Throwable t) {
                done.complete(Status.fromThrowable(t));
              }

              @Override
              public void onCompleted() {
                done.complete(Status.OK);
              }
            })
        .onNext(TranscribeRequest.getDefaultInstance());
    assertThat(done.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
  }

  static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
    long end = System.currentTimeMillis() + 15_000;
    while (!cond.getAsBoolean() && System.currentTimeMillis() < end) {
      Thread.sleep(10);
    }
  }

  static void waitForNoSessions() throws InterruptedException {
    waitFor(() -> server.engine().activeSessions() == 0);
    assertThat(server.engine().activeSessions()).isZero();
  }

  /** A Moshi model takes a text prompt as an experiment (the PersonaPlex prefill). */
  @Test
  void aTextPromptedSessionsFirstAudioDiffersFromAnUnpromptedOne() throws Exception {
    Recorder prompted =
        GrpcPromptTest.converse(
            channel, dev.parley.proto.v1.SessionConfig.newBuilder().setTextPrompt("Be a pirate."));
    Recorder plain =
        GrpcPromptTest.converse(channel, dev.parley.proto.v1.SessionConfig.newBuilder());
    assertThat(prompted.done.get()).isEqualTo(io.grpc.Status.OK);
    assertThat(plain.done.get()).isEqualTo(io.grpc.Status.OK);
    int frame = 1920 * 2;
    assertThat(prompted.audio().length).isGreaterThanOrEqualTo(frame);
    assertThat(plain.audio().length).isGreaterThanOrEqualTo(frame);
    assertThat(java.util.Arrays.copyOf(prompted.audio(), frame))
        .isNotEqualTo(java.util.Arrays.copyOf(plain.audio(), frame));
  }
}
