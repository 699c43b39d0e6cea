package dev.parley.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.wav.WavReader;
import dev.parley.proto.v1.AudioFormat;
import dev.parley.proto.v1.Encoding;
import dev.parley.proto.v1.ListModelsRequest;
import dev.parley.proto.v1.ListVoicesRequest;
import dev.parley.proto.v1.ListVoicesResponse;
import dev.parley.proto.v1.ModelInfo;
import dev.parley.proto.v1.ModelType;
import dev.parley.proto.v1.ModelsGrpc;
import dev.parley.proto.v1.SpeechGrpc;
import dev.parley.proto.v1.SynthesisEnd;
import dev.parley.proto.v1.SynthesizeRequest;
import dev.parley.proto.v1.SynthesizeResponse;
import dev.parley.proto.v1.SynthesizeStreamRequest;
import dev.parley.proto.v1.WordTiming;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.tts.SynthesisModel;
import dev.parley.server.tts.TtsEngine;
import dev.parley.server.tts.TtsSettings;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Speech service on real servers hosting the demo TTS model, through real Netty channels:
 * {@code ready}, words, audio and {@code end} in order; Ogg Opus that opusdec reads; streamed text
 * giving the whole text's audio; output back-pressure; every bad request refused with a status that
 * says why; slots freed by cancellation, deadlines and idle timeouts.
 */
class GrpcSpeechTest {
  static final String TEXT = "Hello robot, the voice streams now.";
  static final int FRAME = 1920; // samples per 80 ms frame at 24 kHz

  // A server as `serve --tts-model demo-tts` runs it.
  static SynthesisModel model;
  static ParleyServer server;
  static ManagedChannel channel;
  // A second real gRPC server on an engine that waits for streamed text (no underrun pads, as
  // moshi-server) and with a 2 s idle timeout: streamed text must give the whole text's audio.
  static SynthesisModel waitingModel;
  static TtsEngine waitingEngine;
  static GrpcServer waiting;
  static ManagedChannel waitingChannel;

  @BeforeAll
  static void start() throws Exception {
    model = SynthesisModel.demo(Device.cpu());
    server =
        new ParleyServer(
                null,
                null,
                model,
                ServerConfig.builder().host("127.0.0.1").port(0).grpcPort(0).maxSessions(2).build())
            .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
    waitingModel = SynthesisModel.demo(Device.cpu());
    waitingEngine =
        new TtsEngine(waitingModel, TtsSettings.of(waitingModel).withUnderrunLead(0), 2);
    waiting =
        new GrpcServer(
                null,
                null,
                waitingEngine,
                ServerConfig.builder()
                    .host("127.0.0.1")
                    .grpcPort(0)
                    .maxSessions(2)
                    .idleTimeout(Duration.ofSeconds(2))
                    .build(),
                new EngineMetrics(),
                "test")
            .start();
    waiting.serving();
    waitingChannel =
        NettyChannelBuilder.forAddress("127.0.0.1", waiting.port()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    waitingChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    waiting.close();
    waitingEngine.close();
    model.close();
    waitingModel.close();
  }

  @AfterEach
  void everySlotIsFreeAgain() throws Exception {
    waitFor(
        () -> server.ttsEngine().activeSessions() == 0 && waitingEngine.activeSessions() == 0,
        "every synthesis slot free after the test");
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** Everything one call received, and how it ended. */
  static final class Recorder implements ClientResponseObserver<Object, SynthesizeResponse> {
    final List<SynthesizeResponse> messages = new CopyOnWriteArrayList<>();
    final CompletableFuture<Status> done = new CompletableFuture<>();
    final int initialRequests; // < 0: read everything as it comes
    volatile ClientCallStreamObserver<Object> call;

    Recorder() {
      this(-1);
    }

    Recorder(int initialRequests) {
      this.initialRequests = initialRequests;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Object> requestStream) {
      call = requestStream;
      if (initialRequests >= 0) {
        requestStream.disableAutoRequestWithInitial(initialRequests);
      }
    }

    @Override
    public void onNext(SynthesizeResponse r) {
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
      return done.get(120, TimeUnit.SECONDS);
    }

    List<SynthesizeResponse> of(SynthesizeResponse.KindCase kind) {
      return messages.stream().filter(m -> m.getKindCase() == kind).toList();
    }

    byte[] audio() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      of(SynthesizeResponse.KindCase.AUDIO)
          .forEach(m -> out.writeBytes(m.getAudio().getData().toByteArray()));
      return out.toByteArray();
    }

    List<WordTiming> words() {
      return of(SynthesizeResponse.KindCase.WORD).stream()
          .map(SynthesizeResponse::getWord)
          .toList();
    }

    SynthesisEnd end() {
      return messages.get(messages.size() - 1).getEnd();
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static Recorder synthesize(ManagedChannel ch, SynthesizeRequest request, Recorder r) {
    SpeechGrpc.newStub(ch).synthesize(request, (ClientResponseObserver) r);
    return r;
  }

  static Recorder synthesize(SynthesizeRequest request) {
    return synthesize(channel, request, new Recorder());
  }

  /** Opens a SynthesizeStream; the returned observer sends its requests. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static io.grpc.stub.StreamObserver<SynthesizeStreamRequest> stream(
      ManagedChannel ch, Recorder r) {
    return SpeechGrpc.newStub(ch).synthesizeStream((ClientResponseObserver) r);
  }

  /** Sends {@code messages} on a new stream (then half-closes), returning how it ended. */
  static Recorder stream(
      ManagedChannel ch, List<SynthesizeStreamRequest> messages, long sleepMillis)
      throws Exception {
    Recorder r = new Recorder();
    var in = stream(ch, r);
    for (SynthesizeStreamRequest m : messages) {
      in.onNext(m);
      Thread.sleep(sleepMillis);
    }
    in.onCompleted();
    r.await();
    return r;
  }

  /** Greedy with a fixed seed: the same text always gives the same audio. */
  static SynthesizeRequest.Builder fixed() {
    return SynthesizeRequest.newBuilder().setSeed(42).setTemperature(0f);
  }

  static SynthesizeStreamRequest config(SynthesizeRequest.Builder c) {
    return SynthesizeStreamRequest.newBuilder().setConfig(c).build();
  }

  static SynthesizeStreamRequest text(String piece) {
    return SynthesizeStreamRequest.newBuilder().setText(piece).build();
  }

  static SynthesizeStreamRequest endOfText() {
    return SynthesizeStreamRequest.newBuilder().setEndOfText(true).build();
  }

  static AudioFormat format(Encoding e, int rate) {
    return AudioFormat.newBuilder().setEncoding(e).setSampleRateHz(rate).setChannels(1).build();
  }

  static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean() && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    assertThat(condition.getAsBoolean()).as(what).isTrue();
  }

  static double rms(float[] x) {
    double sum = 0;
    for (float v : x) {
      sum += (double) v * v;
    }
    return Math.sqrt(sum / Math.max(1, x.length));
  }

  static float[] s16le(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[bytes.length / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.getShort() / 32768f;
    }
    return out;
  }

  static void assertInvalid(Recorder r, String... fragments) throws Exception {
    Status s = r.await();
    assertThat(s.getCode()).as(String.valueOf(s)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    for (String f : fragments) {
      assertThat(s.getDescription()).contains(f);
    }
  }

  /** A normal synthesis still works (after errors, cancellations, timeouts). */
  static void stillServes(ManagedChannel ch) throws Exception {
    Recorder r = synthesize(ch, fixed().setText("Still here.").build(), new Recorder());
    assertThat(r.await()).isEqualTo(Status.OK);
    assertThat(r.end().getWords()).isEqualTo(2);
  }

  // ---- Synthesize -----------------------------------------------------------------------------

  @Test
  void synthesizeSendsReadyThenWordsAndPcmFramesThenEnd() throws Exception {
    Recorder r =
        synthesize(
            fixed().setText(TEXT).setOutputFormat(format(Encoding.PCM_S16LE, 24000)).build());
    assertThat(r.await()).isEqualTo(Status.OK);

    SynthesizeResponse first = r.messages.get(0);
    assertThat(first.hasReady()).as("ready first").isTrue();
    assertThat(first.getReady().getModel()).isEqualTo(SynthesisModel.DEMO_NAME);
    assertThat(first.getReady().getVoicesList()).containsExactly("demo-alto"); // the default voice
    assertThat(first.getReady().getModelSampleRateHz()).isEqualTo(24000);
    assertThat(r.messages.get(r.messages.size() - 1).hasEnd()).as("end last").isTrue();
    assertThat(r.of(SynthesizeResponse.KindCase.READY)).hasSize(1);
    assertThat(r.of(SynthesizeResponse.KindCase.END)).hasSize(1);

    SynthesisEnd end = r.end();
    assertThat(end.getFrames()).isPositive();
    assertThat(end.getStarvedSteps()).isZero();
    assertThat(end.getSteps()).isGreaterThan(end.getFrames()); // plus the text lead
    // Mono 16-bit PCM at 24 kHz, one 80 ms frame per chunk.
    assertThat(r.audio().length).isEqualTo(end.getFrames() * FRAME * 2);
    assertThat(r.of(SynthesizeResponse.KindCase.AUDIO))
        .allSatisfy(m -> assertThat(m.getAudio().getData().size()).isEqualTo(FRAME * 2));

    // Every word of the text, in order, timed within the audio and without overlap.
    List<WordTiming> words = r.words();
    assertThat(words).extracting(WordTiming::getText).containsExactly(TEXT.split(" "));
    assertThat(end.getWords()).isEqualTo(words.size());
    double audioSeconds = end.getFrames() * 0.08;
    for (int i = 0; i < words.size(); i++) {
      WordTiming w = words.get(i);
      assertThat(w.getIndex()).isEqualTo(i);
      assertThat(w.getEndS()).isGreaterThan(w.getStartS()).isLessThanOrEqualTo(audioSeconds);
      if (i > 0) {
        assertThat(w.getStartS()).isGreaterThanOrEqualTo(words.get(i - 1).getEndS());
      }
    }
    // A word goes out before the audio of its end.
    double audioBefore = 0;
    for (SynthesizeResponse m : r.messages) {
      if (m.hasAudio()) {
        audioBefore += m.getAudio().getData().size() / 2.0 / 24000;
      } else if (m.hasWord()) {
        assertThat(audioBefore)
            .as("audio before word " + m.getWord().getText())
            .isLessThan(m.getWord().getEndS());
      }
    }
  }

  @Test
  void oggOpusOutputDecodesWithOpusdecToTheSameLengthAndLoudness(@TempDir Path dir)
      throws Exception {
    ExternalTools.require("opusdec", "opus-tools");
    Recorder pcm = synthesize(fixed().setText(TEXT).build());
    Recorder ogg =
        synthesize(fixed().setText(TEXT).setOutputFormat(format(Encoding.OGG_OPUS, 48000)).build());
    assertThat(pcm.await()).isEqualTo(Status.OK);
    assertThat(ogg.await()).isEqualTo(Status.OK);
    long frames = ogg.end().getFrames();
    assertThat(frames).isEqualTo(pcm.end().getFrames());
    Path file = dir.resolve("speech.opus");
    Files.write(file, ogg.audio());
    Path wav = dir.resolve("speech.wav");
    ExternalTools.run("opusdec", "--rate", "24000", "--float", file.toString(), wav.toString());
    float[] decoded = WavReader.read(wav).samples();
    assertThat(decoded.length).isBetween((int) (frames - 1) * FRAME, (int) frames * FRAME);
    // The same audio as the PCM call, through a lossy codec: about as loud.
    double ratio = rms(decoded) / rms(s16le(pcm.audio()));
    assertThat(ratio).isBetween(0.5, 2.0);
  }

  @Test
  void aDialogueOfTurnsIsSpokenByItsVoicesInOrder() throws Exception {
    Recorder r =
        synthesize(
            fixed()
                .addTurns("Hello there.")
                .addTurns("Hi, how are you?")
                .addVoices("demo-alto")
                .addVoices("demo-bass")
                .build());
    assertThat(r.await()).isEqualTo(Status.OK);
    assertThat(r.messages.get(0).getReady().getVoicesList())
        .containsExactly("demo-alto", "demo-bass");
    assertThat(r.words())
        .extracting(WordTiming::getText)
        .containsExactly("Hello", "there.", "Hi,", "how", "are", "you?");
  }

  // ---- SynthesizeStream -----------------------------------------------------------------------

  @Test
  void textStreamedInPiecesGivesExactlyTheAudioOfTheWholeText() throws Exception {
    Recorder whole = synthesize(waitingChannel, fixed().setText(TEXT).build(), new Recorder());
    assertThat(whole.await()).isEqualTo(Status.OK);
    // Pieces cut inside words, as an LLM's tokens come, with pauses between them.
    List<SynthesizeStreamRequest> messages =
        List.of(
            config(fixed()),
            text("Hel"),
            text("lo "),
            text("robot, the"),
            text(" voi"),
            text("ce "),
            text("streams "),
            text("now."),
            endOfText());
    Recorder streamed = stream(waitingChannel, messages, 30);
    assertThat(streamed.done.get()).isEqualTo(Status.OK);
    assertThat(streamed.messages.get(0).hasReady()).isTrue();
    assertThat(streamed.end().getStarvedSteps()).isZero();
    assertThat(streamed.audio()).isNotEmpty();
    assertThat(Arrays.equals(streamed.audio(), whole.audio())).as("byte-identical PCM").isTrue();
    assertThat(streamed.words()).isEqualTo(whole.words());
    assertThat(streamed.end().getFrames()).isEqualTo(whole.end().getFrames());
  }

  @Test
  void theConfigsTextIsTheFirstPieceAndAHalfCloseEndsTheText() throws Exception {
    Recorder whole = synthesize(waitingChannel, fixed().setText(TEXT).build(), new Recorder());
    assertThat(whole.await()).isEqualTo(Status.OK);
    Recorder streamed =
        stream(
            waitingChannel,
            List.of(config(fixed().setText("Hello robot, ")), text("the voice streams now.")),
            20); // no end_of_text: the half-close ends it
    assertThat(streamed.done.get()).isEqualTo(Status.OK);
    assertThat(Arrays.equals(streamed.audio(), whole.audio())).as("byte-identical PCM").isTrue();
  }

  @Test
  void textThatArrivesLateIsWaitedForWithPaddingAndStillSpoken() throws Exception {
    // The default engine keeps real-time playback fed while the text runs dry.
    Recorder r = new Recorder();
    var in = stream(channel, r);
    in.onNext(config(fixed().setText("Hello robot, the voice ")));
    waitFor(() -> !r.of(SynthesizeResponse.KindCase.AUDIO).isEmpty(), "first audio");
    Thread.sleep(1000);
    in.onNext(text("streams now."));
    in.onNext(endOfText());
    in.onCompleted();
    assertThat(r.await()).isEqualTo(Status.OK);
    assertThat(r.words()).extracting(WordTiming::getText).containsExactly(TEXT.split(" "));
    assertThat(r.end().getStarvedSteps()).isPositive();
    assertThat(r.audio().length).isEqualTo(r.end().getFrames() * FRAME * 2);
  }

  // ---- back-pressure, cancellation, timeouts --------------------------------------------------

  @Test
  void aSlowReaderPausesTheSynthesisInsteadOfBufferingIt() throws Exception {
    ManagedChannel small =
        NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort())
            .usePlaintext()
            .flowControlWindow(32 * 1024)
            .build();
    try {
      long stepsBefore = server.ttsEngine().steps();
      Recorder r =
          synthesize(
              small,
              fixed()
                  .setText("one two three four five six seven eight nine ten ".repeat(6))
                  .build(),
              new Recorder(1)); // reads nothing but the first message
      waitFor(() -> server.ttsEngine().activeSessions() == 1, "synthesis open");
      // Steps stop once the transport's buffers are full (however fast this machine steps)...
      long paused = -1;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      for (long last = -2; paused != last && System.nanoTime() < deadline; ) {
        last = paused;
        Thread.sleep(1000);
        paused = server.ttsEngine().steps();
      }
      // ... and stay stopped.
      Thread.sleep(1000);
      assertThat(server.ttsEngine().steps())
          .as("no step while the client reads nothing")
          .isEqualTo(paused);
      assertThat(server.ttsEngine().activeSessions()).as("still open, not failed").isEqualTo(1);
      r.call.request(Integer.MAX_VALUE);
      assertThat(r.await()).isEqualTo(Status.OK);
      assertThat(paused - stepsBefore)
          .as("paused well before the end")
          .isLessThan(r.end().getSteps() / 2);
      assertThat(r.audio().length).isEqualTo(r.end().getFrames() * FRAME * 2);
      assertThat(r.words()).hasSize(60);
    } finally {
      small.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aFullServerSaysSoAndCancellingFreesTheSlotsAtOnce() throws Exception {
    Recorder a = new Recorder();
    Recorder b = new Recorder();
    var inA = stream(channel, a);
    var inB = stream(channel, b);
    inA.onNext(config(fixed().setText("Waiting for more ")));
    inB.onNext(config(fixed()));
    waitFor(() -> server.ttsEngine().activeSessions() == 2, "both slots taken");
    Recorder third = synthesize(fixed().setText(TEXT).build());
    Status s = third.await();
    assertThat(s.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(s.getDescription()).contains("server full");

    a.call.cancel("client leaves", null);
    inB.onError(new RuntimeException("client gone")); // the other way a client cancels
    waitFor(() -> server.ttsEngine().activeSessions() == 0, "slots freed by cancellation");
    assertThat(a.await().getCode()).isEqualTo(Status.Code.CANCELLED);
    stillServes(channel);
  }

  @Test
  void aDeadlineThatPassesFreesTheSlot() throws Exception {
    Recorder r = new Recorder(1); // never reads: the synthesis cannot finish before the deadline
    SpeechGrpc.newStub(channel)
        .withDeadlineAfter(2, TimeUnit.SECONDS)
        .synthesize(
            fixed().setText("a long text that will not be heard to its end ".repeat(40)).build(),
            castObserver(r));
    waitFor(() -> server.ttsEngine().activeSessions() == 1, "synthesis open");
    r.call.request(Integer.MAX_VALUE);
    assertThat(r.await().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    waitFor(() -> server.ttsEngine().activeSessions() == 0, "slot freed by the deadline");
    stillServes(channel);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static io.grpc.stub.StreamObserver<SynthesizeResponse> castObserver(Recorder r) {
    return (ClientResponseObserver) r;
  }

  @Test
  void aStreamThatSendsNothingOrAClientThatReadsNothingIsClosedAfterTheIdleTimeout()
      throws Exception {
    Recorder silent = new Recorder();
    var in = stream(waitingChannel, silent);
    in.onNext(config(fixed().setText("Hello ")));
    Status s = silent.await();
    assertThat(s.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(s.getDescription()).contains("idle timeout").contains("end_of_text");

    ManagedChannel small =
        NettyChannelBuilder.forAddress("127.0.0.1", waiting.port())
            .usePlaintext()
            .flowControlWindow(32 * 1024)
            .build();
    try {
      Recorder deaf =
          synthesize(
              small,
              fixed().setText("nobody listens to these words ".repeat(40)).build(),
              new Recorder(1));
      waitFor(() -> waitingEngine.activeSessions() == 1, "synthesis open");
      waitFor(() -> waitingEngine.activeSessions() == 0, "closed by the server");
      deaf.call.request(Integer.MAX_VALUE); // to collect the status behind the unread messages
      Status d = deaf.await();
      assertThat(d.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(d.getDescription()).contains("client is not reading");
    } finally {
      small.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    stillServes(waitingChannel);
  }

  // ---- bad requests ---------------------------------------------------------------------------

  @Test
  void badSynthesizeRequestsGetInvalidArgumentSayingWhat() throws Exception {
    assertInvalid(synthesize(SynthesizeRequest.getDefaultInstance()), "no text to speak");
    assertInvalid(synthesize(fixed().setText("   \n").build()), "no text to speak");
    assertInvalid(
        synthesize(fixed().setText(TEXT).setVoice("nobody").build()), "nobody", "demo-alto");
    assertInvalid(
        synthesize(fixed().setText(TEXT).addTurns("Hi.").build()), "text or turns, not both");
    assertInvalid(
        synthesize(fixed().setText(TEXT).setVoice("demo-alto").addVoices("demo-bass").build()),
        "voice or voices, not both");
    SynthesizeRequest.Builder six = fixed().addTurns("Hi.");
    for (int i = 0; i < 6; i++) {
      six.addVoices("demo-alto");
    }
    assertInvalid(synthesize(six.build()), "at most " + model.config().maxSpeakers());
    assertInvalid(synthesize(fixed().setText("word ".repeat(10_001)).build()), "longer than 50000");
    SynthesizeRequest.Builder many = fixed();
    for (int i = 0; i < 257; i++) {
      many.addTurns("Hi.");
    }
    assertInvalid(synthesize(many.build()), "257 turns", "at most 256");
    assertInvalid(
        synthesize(fixed().setText(TEXT).setOutputFormat(format(Encoding.OPUS, 44100)).build()),
        "output_format",
        "44100");
    assertInvalid(
        synthesize(fixed().setText(TEXT).setOutputFormat(AudioFormat.getDefaultInstance()).build()),
        "output_format.encoding");
    assertInvalid(synthesize(fixed().setText(TEXT).setTemperature(9f).build()), "temperature");
    assertInvalid(synthesize(fixed().setText(TEXT).setCfgCoef(7f).build()), "cfg_coef");
    assertThat(server.ttsEngine().activeSessions()).isZero();
    stillServes(channel);
  }

  @Test
  void badStreamsGetInvalidArgumentSayingWhat() throws Exception {
    assertInvalid(stream(channel, List.of(text("Hello")), 0), "first message must be a config");
    assertInvalid(stream(channel, List.of(endOfText()), 0), "first message must be a config");
    assertInvalid(stream(channel, List.of(), 0), "ended before its config");
    assertInvalid(
        stream(
            channel, List.of(config(fixed()), text("Hello there."), endOfText(), text("More.")), 0),
        "text after end_of_text");
    assertInvalid(
        stream(channel, List.of(config(fixed()), config(fixed())), 0),
        "config may only be the first");
    assertInvalid(
        stream(channel, List.of(config(fixed()), text("  "), endOfText()), 0), "no text to speak");
    assertInvalid(stream(channel, List.of(config(fixed().addTurns("Hi."))), 0), "turns");
    assertInvalid(
        stream(channel, List.of(config(fixed().setVoice("nobody"))), 0), "nobody", "demo-bass");
    String piece = "word ".repeat(2_000); // 10 000 characters a message, 50 000 at most in all
    assertInvalid(
        stream(
            channel,
            List.of(
                config(fixed()),
                text(piece),
                text(piece),
                text(piece),
                text(piece),
                text(piece),
                text("one more")),
            0),
        "longer than 50000");
    assertThat(server.ttsEngine().activeSessions()).isZero();
    stillServes(channel);
  }

  // ---- what the server offers -----------------------------------------------------------------

  @Test
  void listVoicesNamesTheVoicesTheDefaultAndTheSpeakers() {
    ListVoicesResponse v =
        SpeechGrpc.newBlockingStub(channel).listVoices(ListVoicesRequest.getDefaultInstance());
    assertThat(v.getVoicesList())
        .extracting(dev.parley.proto.v1.Voice::getName)
        .containsExactly("demo-alto", "demo-bass");
    assertThat(v.getVoicesList()).allSatisfy(x -> assertThat(x.getSource()).isEqualTo("builtin"));
    assertThat(v.getDefaultVoice()).isEqualTo("demo-alto");
    assertThat(v.getMaxSpeakers()).isEqualTo(5); // Kyutai's default for cross-attention TTS models
  }

  @Test
  void modelsListTheSpeechModelAndHealthSaysSpeechIsServing() {
    List<ModelInfo> models =
        ModelsGrpc.newBlockingStub(channel)
            .list(ListModelsRequest.getDefaultInstance())
            .getModelsList();
    assertThat(models).hasSize(1);
    ModelInfo m = models.get(0);
    assertThat(m.getName()).isEqualTo("demo-tts");
    assertThat(m.getType()).isEqualTo(ModelType.SPEECH);
    assertThat(m.getSampleRateHz()).isEqualTo(24000);
    assertThat(m.getFrameRateHz()).isEqualTo(12.5);
    assertThat(m.getCodebooks()).isEqualTo(8); // the demo Mimi's
    assertThat(m.getMaxSessions()).isEqualTo(2);
    assertThat(m.getTextVocabulary()).isPositive();
    var health = HealthGrpc.newBlockingStub(channel);
    assertThat(
            health
                .check(HealthCheckRequest.newBuilder().setService(SpeechGrpc.SERVICE_NAME).build())
                .getStatus())
        .isEqualTo(ServingStatus.SERVING);
    assertThat(
            health
                .check(HealthCheckRequest.newBuilder().setService("parley.v1.Dialogue").build())
                .getStatus())
        .isEqualTo(ServingStatus.NOT_SERVING);
  }
}
