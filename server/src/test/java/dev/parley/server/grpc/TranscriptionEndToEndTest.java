package dev.parley.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.google.protobuf.ByteString;
import dev.parley.codec.audio.Pcm;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.wav.WavReader;
import dev.parley.proto.v1.AudioChunk;
import dev.parley.proto.v1.AudioFormat;
import dev.parley.proto.v1.Encoding;
import dev.parley.proto.v1.TranscribeConfig;
import dev.parley.proto.v1.TranscribeRequest;
import dev.parley.proto.v1.TranscribeResponse;
import dev.parley.proto.v1.TranscriptionGrpc;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.wire.AsrMessages;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming transcription end to end on the demo STT model: moshi-server's MessagePack WebSocket
 * protocol, gRPC and a POSTed file on one real server, the same audio giving the same results.
 */
class TranscriptionEndToEndTest {
  static SpeechModel dialogue;
  static SpeechModel stt;
  static ParleyServer server;
  static ManagedChannel channel;
  static final AsrMessages CODEC = AsrMessages.withDefaults();

  @BeforeAll
  static void start() throws Exception {
    dialogue = DemoModel.build(Device.cpu());
    stt = DemoModel.buildStt(Device.cpu());
    server =
        new ParleyServer(
                dialogue,
                stt,
                ServerConfig.builder().host("127.0.0.1").port(0).grpcPort(0).maxSessions(3).build())
            .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    dialogue.close();
    stt.close();
  }

  /** A MessagePack WebSocket client: every server message, decoded, in arrival order. */
  static final class AsrClient implements WebSocket.Listener {
    final List<AsrMessages.Out> messages = new CopyOnWriteArrayList<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    WebSocket socket;

    static AsrClient connect() {
      AsrClient c = new AsrClient();
      c.socket =
          HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/api/asr-streaming"), c)
              .join();
      return c;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      byte[] b = new byte[data.remaining()];
      data.get(b);
      partial.writeBytes(b);
      if (last) {
        try {
          messages.add(CODEC.decodeOut(partial.toByteArray()));
        } catch (Exception e) {
          messages.add(new AsrMessages.Out.Error("client could not decode: " + e));
        }
        partial.reset();
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
      closed.complete(status);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.complete(-1);
    }

    void send(AsrMessages.In m) {
      socket.sendBinary(ByteBuffer.wrap(AsrMessages.encode(m)), true).join();
    }

    <T> List<T> of(Class<T> type) {
      return messages.stream().filter(type::isInstance).map(type::cast).toList();
    }
  }

  static float[] speech(Path dir) throws Exception {
    Path wav = ExternalTools.speechWav(dir, "Transcribe this sentence, please.", 24000);
    return WavReader.read(wav).samples();
  }

  @Test
  void moshiServerProtocolStreamsStepsWordsAndTheMarkerAfterTheLag(@TempDir Path dir)
      throws Exception {
    float[] speech = speech(dir);
    AsrClient c = AsrClient.connect();
    waitFor(() -> !c.messages.isEmpty());
    assertThat(c.messages.get(0)).as("Ready first").isInstanceOf(AsrMessages.Out.Ready.class);
    // Real time, 1920 samples per Audio message, then a marker, then silence as Kyutai's clients
    // do.
    long t0 = System.nanoTime();
    int frames = 0;
    for (int i = 0; i < speech.length; i += 1920, frames++) {
      c.send(
          new AsrMessages.In.Audio(
              Arrays.copyOfRange(speech, i, Math.min(speech.length, i + 1920))));
      pace(t0, frames + 1);
    }
    int stepsAtMarker = c.of(AsrMessages.Out.Step.class).size();
    c.send(new AsrMessages.In.Marker(77));
    int delay = server.sttEngine().settings().delayFrames();
    for (int k = 0; k < delay + 20 && c.of(AsrMessages.Out.Marker.class).isEmpty(); k++, frames++) {
      c.send(new AsrMessages.In.Audio(new float[1920]));
      pace(t0, frames + 1);
    }
    waitFor(() -> !c.of(AsrMessages.Out.Marker.class).isEmpty());
    assertThat(c.of(AsrMessages.Out.Marker.class))
        .extracting(AsrMessages.Out.Marker::id)
        .containsExactly(77L);
    List<AsrMessages.Out.Step> steps = c.of(AsrMessages.Out.Step.class);
    int markerAt = c.messages.indexOf(c.of(AsrMessages.Out.Marker.class).get(0));
    long stepsBeforeMarker =
        c.messages.subList(0, markerAt).stream()
            .filter(AsrMessages.Out.Step.class::isInstance)
            .count();
    // The marker follows the step that completes the audio before it by the model's lag.
    int prefix = server.sttEngine().settings().prefixFrames();
    int audioFrames = (speech.length + 1919) / 1920;
    assertThat(stepsBeforeMarker).isEqualTo(prefix + audioFrames + delay);
    assertThat(stepsAtMarker).isLessThan((int) stepsBeforeMarker);
    for (int i = 0; i < steps.size(); i++) {
      assertThat(steps.get(i).stepIdx()).isEqualTo(i);
      assertThat(steps.get(i).prs()).hasSize(server.sttEngine().pauseHeads());
    }
    assertWordsInTimeOrder(c.messages);
    c.socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
    waitFor(() -> server.sttEngine().activeSessions() == 0);
    assertThat(server.sttEngine().activeSessions()).isZero();
  }

  /**
   * Words start in time order; each EndWord closes the earliest open word, no earlier than it
   * started.
   */
  static void assertWordsInTimeOrder(List<AsrMessages.Out> messages) {
    List<Double> starts = new ArrayList<>();
    int ended = 0;
    double lastStop = 0;
    for (AsrMessages.Out m : messages) {
      if (m instanceof AsrMessages.Out.Word w) {
        assertThat(w.startTime())
            .isGreaterThanOrEqualTo(starts.isEmpty() ? 0 : starts.get(starts.size() - 1));
        starts.add(w.startTime());
      } else if (m instanceof AsrMessages.Out.EndWord e) {
        assertThat(ended).as("an EndWord closes a word already started").isLessThan(starts.size());
        assertThat(e.stopTime())
            .isGreaterThanOrEqualTo(starts.get(ended))
            .isGreaterThanOrEqualTo(lastStop);
        lastStop = e.stopTime();
        ended++;
      }
    }
  }

  @Test
  void theSameAudioGivesTheSameResultsOverWebSocketGrpcAndAPostedFile(@TempDir Path dir)
      throws Exception {
    float[] speech = speech(dir);
    // WebSocket: the whole utterance at once, then the lag's worth of silence (flow control meters
    // it).
    AsrClient c = AsrClient.connect();
    waitFor(() -> !c.messages.isEmpty());
    int delay = server.sttEngine().settings().delayFrames();
    float[] padded = Arrays.copyOf(speech, ((speech.length + 1919) / 1920 + delay) * 1920);
    for (int i = 0; i < padded.length; i += 24000) {
      c.send(
          new AsrMessages.In.Audio(
              Arrays.copyOfRange(padded, i, Math.min(padded.length, i + 24000))));
    }
    int prefix = server.sttEngine().settings().prefixFrames();
    waitFor(() -> c.of(AsrMessages.Out.Step.class).size() >= prefix + padded.length / 1920);
    c.socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
    List<float[]> wsPrs =
        c.of(AsrMessages.Out.Step.class).stream().map(AsrMessages.Out.Step::prs).toList();
    List<String> wsWords =
        c.of(AsrMessages.Out.Word.class).stream().map(AsrMessages.Out.Word::text).toList();

    // gRPC: s16le at 24 kHz, end of input, pause probabilities every step.
    List<TranscribeResponse> responses = new CopyOnWriteArrayList<>();
    CompletableFuture<Status> done = new CompletableFuture<>();
    StreamObserver<TranscribeRequest> in =
        TranscriptionGrpc.newStub(channel)
            .transcribe(
                new StreamObserver<>() {
                  @Override
                  public void onNext(TranscribeResponse r) {
                    responses.add(r);
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.complete(Status.fromThrowable(t));
                  }

                  @Override
                  public void onCompleted() {
                    done.complete(Status.OK);
                  }
                });
    in.onNext(
        TranscribeRequest.newBuilder()
            .setConfig(
                TranscribeConfig.newBuilder()
                    .setInputFormat(
                        AudioFormat.newBuilder()
                            .setEncoding(Encoding.PCM_S16LE)
                            .setSampleRateHz(24000))
                    .setPauseProbabilitiesEverySteps(1))
            .build());
    byte[] pcm = Pcm.monoToS16le(speech, 0, speech.length);
    in.onNext(
        TranscribeRequest.newBuilder()
            .setAudio(AudioChunk.newBuilder().setData(ByteString.copyFrom(pcm)))
            .build());
    in.onCompleted();
    assertThat(done.get(60, TimeUnit.SECONDS)).isEqualTo(Status.OK);
    assertThat(responses.get(0).hasSession()).isTrue();
    assertThat(responses.get(responses.size() - 1).hasFinal()).isTrue();
    List<float[]> grpcPrs =
        responses.stream()
            .filter(TranscribeResponse::hasPause)
            .map(r -> toArray(r.getPause().getProbabilitiesList()))
            .toList();
    List<String> grpcWords =
        responses.stream()
            .filter(TranscribeResponse::hasWord)
            .map(r -> r.getWord().getText())
            .toList();
    // s16 quantisation of the input is the only difference: the float WebSocket audio and the
    // 16-bit gRPC audio give pause probabilities within a small tolerance and the same words.
    assertThat(grpcPrs.size()).isGreaterThanOrEqualTo(wsPrs.size());
    for (int i = 0; i < wsPrs.size(); i++) {
      for (int h = 0; h < wsPrs.get(i).length; h++) {
        assertThat(grpcPrs.get(i)[h])
            .as("step %d head %d", i, h)
            .isCloseTo(wsPrs.get(i)[h], org.assertj.core.data.Offset.offset(2e-3f));
      }
    }
    // The WebSocket client hung up after the lag; gRPC's end of input also flushes the last word.
    assertThat(wsWords).isNotEmpty();
    assertThat(grpcWords.subList(0, wsWords.size())).isEqualTo(wsWords);
    List<Double> wsStarts =
        c.of(AsrMessages.Out.Word.class).stream().map(AsrMessages.Out.Word::startTime).toList();
    List<Double> grpcStarts =
        responses.stream()
            .filter(TranscribeResponse::hasWord)
            .map(r -> r.getWord().getStartS())
            .toList();
    assertThat(grpcStarts.subList(0, wsStarts.size())).as("word start times").isEqualTo(wsStarts);

    // A POSTed WAV: the final transcript equals gRPC's.
    Path wav = dir.resolve("in.wav");
    dev.parley.codec.wav.WavWriter.writeMono(
        wav, speech, 24000, dev.parley.codec.wav.WavEncoding.PCM_S16);
    HttpResponse<String> post =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/api/asr-streaming"))
                    .POST(HttpRequest.BodyPublishers.ofFile(wav))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(200);
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(post.body());
    var fin = responses.get(responses.size() - 1).getFinal();
    assertThat(json.path("text").asText()).isEqualTo(fin.getText());
    assertThat(json.path("words").size()).isEqualTo(fin.getWordsCount());
    assertThat(json.path("duration_s").asDouble())
        .isCloseTo(speech.length / 24000.0, org.assertj.core.data.Offset.offset(1e-3));
    System.out.printf(
        "demo-stt on espeak speech: %d words, %d steps%n", fin.getWordsCount(), grpcPrs.size());
  }

  @Test
  void badMessagesGetAnErrorAndACloseWhileAnotherSessionCarriesOn() throws Exception {
    AsrClient good = AsrClient.connect();
    waitFor(() -> !good.messages.isEmpty());
    List<byte[]> bad = new ArrayList<>();
    bad.add("not messagepack at all".getBytes());
    bad.add(
        AsrMessages.encode(
            new AsrMessages.Out.Ready())); // a server message sent by a client: unknown type
    bad.add(AsrMessages.encode(new AsrMessages.In.Audio(new float[] {0.1f, Float.NaN})));
    for (byte[] message : bad) {
      AsrClient c = AsrClient.connect();
      waitFor(() -> !c.messages.isEmpty());
      c.socket.sendBinary(ByteBuffer.wrap(message), true).join();
      assertThat(c.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1008);
      assertThat(c.of(AsrMessages.Out.Error.class)).hasSize(1);
      int before = good.of(AsrMessages.Out.Step.class).size();
      good.send(new AsrMessages.In.Audio(new float[1920]));
      waitFor(() -> good.of(AsrMessages.Out.Step.class).size() > before);
      assertThat(good.of(AsrMessages.Out.Step.class).size())
          .as("the other session still steps")
          .isGreaterThan(before);
    }
    AsrClient text = AsrClient.connect();
    waitFor(() -> !text.messages.isEmpty());
    text.socket.sendText("hello", true).join();
    assertThat(text.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1008);
    assertThat(text.of(AsrMessages.Out.Error.class).get(0).message()).contains("text frames");
    good.socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
    HttpResponse<String> garbage =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/api/asr-streaming"))
                    .POST(HttpRequest.BodyPublishers.ofString("garbage"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(garbage.statusCode()).isEqualTo(400);
    assertThat(garbage.body()).contains("neither a WAV");
  }

  @Test
  void grpcTranscriptionErrorsSayWhatIsWrong() throws Exception {
    for (TranscribeRequest first :
        List.of(
            TranscribeRequest.newBuilder()
                .setAudio(AudioChunk.newBuilder().setData(ByteString.copyFrom(new byte[4])))
                .build(),
            TranscribeRequest.newBuilder().setConfig(TranscribeConfig.getDefaultInstance()).build(),
            TranscribeRequest.newBuilder()
                .setConfig(
                    TranscribeConfig.newBuilder()
                        .setInputFormat(
                            AudioFormat.newBuilder()
                                .setEncoding(Encoding.OPUS)
                                .setSampleRateHz(22050)))
                .build())) {
      CompletableFuture<Status> done = new CompletableFuture<>();
      StreamObserver<TranscribeRequest> in =
          TranscriptionGrpc.newStub(channel)
              .transcribe(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(TranscribeResponse r) {}

                    @Override
                    public void onError(Throwable t) {
                      done.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                      done.complete(Status.OK);
                    }
                  });
      in.onNext(first);
      Status s = done.get(10, TimeUnit.SECONDS);
      assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(s.getDescription()).containsAnyOf("TranscribeConfig", "input_format", "22050");
      in.onCompleted();
    }
    waitFor(() -> server.sttEngine().activeSessions() == 0);
    assertThat(server.sttEngine().activeSessions()).isZero();
  }

  @Test
  void transcriptionHasItsOwnMetrics(@TempDir Path dir) throws Exception {
    Path wav = dir.resolve("in.wav");
    dev.parley.codec.wav.WavWriter.writeMono(
        wav, speech(dir), 24000, dev.parley.codec.wav.WavEncoding.PCM_S16);
    HttpResponse<String> post =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/api/asr-streaming"))
                    .POST(HttpRequest.BodyPublishers.ofFile(wav))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(200);
    waitFor(() -> server.sttEngine().activeSessions() == 0);
    String metrics =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(metrics).contains("parley_stt_sessions_active 0.0");
    double steps =
        metrics
            .lines()
            .filter(l -> l.startsWith("parley_stage_stt_step_seconds_count "))
            .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
            .findFirst()
            .orElse(0);
    assertThat(steps).as("transcription steps recorded").isPositive();
    double started =
        metrics
            .lines()
            .filter(l -> l.startsWith("parley_stt_sessions_started_total "))
            .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
            .findFirst()
            .orElse(0);
    assertThat(started).isGreaterThanOrEqualTo(1); // this one at least; the warm-up is not counted
  }

  static float[] toArray(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  static void pace(long t0, int frames) throws InterruptedException {
    long wait = t0 + frames * 80_000_000L - System.nanoTime();
    if (wait > 0) {
      Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
    }
  }

  static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
    long end = System.currentTimeMillis() + 30_000;
    while (!cond.getAsBoolean() && System.currentTimeMillis() < end) {
      Thread.sleep(10);
    }
  }
}
