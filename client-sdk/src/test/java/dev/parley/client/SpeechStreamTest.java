package dev.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.client.testing.FakeParleyServer;
import dev.parley.client.testing.ScriptedSpeech;
import dev.parley.codec.audio.Pcm;
import dev.parley.proto.v1.ListVoicesResponse;
import dev.parley.proto.v1.SpeechGrpc;
import dev.parley.proto.v1.SynthesisEnd;
import dev.parley.proto.v1.SynthesisReady;
import dev.parley.proto.v1.SynthesizeRequest;
import dev.parley.proto.v1.SynthesizeResponse;
import dev.parley.proto.v1.SynthesizeStreamRequest;
import dev.parley.proto.v1.Voice;
import dev.parley.proto.v1.WordTiming;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The SDK's speech calls against {@link ScriptedSpeech}: results, streaming text, errors, flow
 * control.
 */
class SpeechStreamTest {
  static final Duration WAIT = Duration.ofSeconds(10);

  /** Everything a listener heard, in order. */
  static final class Recorder implements SpeechListener {
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<WordTiming> words = new CopyOnWriteArrayList<>();
    final ByteArrayOutputStream audio = new ByteArrayOutputStream();
    volatile ParleyException error;

    @Override
    public void onReady(SynthesisReady ready) {
      events.add("ready");
    }

    @Override
    public synchronized void onAudio(byte[] chunk) {
      events.add("audio");
      audio.writeBytes(chunk);
    }

    @Override
    public void onWord(WordTiming word) {
      events.add("word " + word.getText());
      words.add(word);
    }

    @Override
    public void onEnd(SynthesisEnd end) {
      events.add("end");
    }

    @Override
    public void onError(ParleyException e) {
      events.add("error");
      error = e;
    }

    synchronized byte[] audio() {
      return audio.toByteArray();
    }
  }

  /** The stand-in's audio for {@code words} words, as 16-bit PCM. */
  static byte[] expectedPcm(int words) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int i = 0; i < words; i++) {
      float[] x = ScriptedSpeech.wordSamples(i);
      b.writeBytes(Pcm.monoToS16le(x, 0, x.length));
    }
    return b.toByteArray();
  }

  @Test
  void synthesizeCollectsAudioWordsAndTheSummary() throws Exception {
    ScriptedSpeech speech = new ScriptedSpeech();
    try (FakeParleyServer server = FakeParleyServer.speaking(speech);
        ParleyClient client = ParleyClient.builder().target(server.target()).build();
        Synthesis s =
            client.synthesize(
                "Hello   there, world.", SpeechOptions.builder().voice("bass").seed(5).build())) {
      SpeechResult r = s.collect();
      assertThat(r.ready().getModel()).isEqualTo("scripted");
      assertThat(r.ready().getVoicesList()).containsExactly("bass");
      assertThat(r.words())
          .extracting(WordTiming::getText)
          .containsExactly("Hello", "there,", "world.");
      assertThat(r.end().getFrames()).isEqualTo(9);
      assertThat(r.end().getWords()).isEqualTo(3);
      assertThat(r.audio()).isEqualTo(expectedPcm(3));
      assertThat(r.samples()).hasSize(9 * 1920);
      assertThat(r.durationSeconds()).isEqualTo(9 * 0.08);
      assertThat(s.end()).isEqualTo(r.end());
      assertThat(s.hasNext()).isFalse();
    }
    SynthesizeRequest sent = speech.requests.get(0);
    assertThat(sent.getText()).isEqualTo("Hello   there, world.");
    assertThat(sent.getVoice()).isEqualTo("bass");
    assertThat(sent.getSeed()).isEqualTo(5);
  }

  @Test
  void aListenerHearsReadyThenEachWordBeforeItsAudioThenTheEnd() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.speaking(new ScriptedSpeech());
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      Recorder rec = new Recorder();
      SpeechCall call = client.synthesize("one two", SpeechOptions.defaults(), rec);
      SynthesisEnd end = call.awaitEnd(WAIT);
      assertThat(end.getFrames()).isEqualTo(6);
      assertThat(rec.events)
          .containsExactly(
              "ready",
              "word one",
              "audio",
              "audio",
              "audio",
              "word two",
              "audio",
              "audio",
              "audio",
              "end");
      assertThat(call.ready().getModel()).isEqualTo("scripted");
      assertThat(call.isDone()).isTrue();
      assertThat(call.completion().get()).isEqualTo(end);
      call.close(); // after the end: nothing to cancel
    }
  }

  @Test
  void streamedPiecesConcatenateAndGiveTheSameAudioAsOneRequest() throws Exception {
    ScriptedSpeech speech = new ScriptedSpeech();
    try (FakeParleyServer server = FakeParleyServer.speaking(speech);
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      Recorder rec = new Recorder();
      SpeechOptions options = SpeechOptions.builder().voice("alto").temperature(0).seed(1).build();
      try (SpeechStream stream = client.openSpeechStream(options, rec)) {
        stream.sendText("Hel");
        stream.sendText("");
        stream.sendText("lo wor");
        // "Hello" is complete (whitespace follows it): spoken before the text ends.
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (rec.words.isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        assertThat(rec.words).extracting(WordTiming::getText).containsExactly("Hello");
        assertThat(stream.isDone()).isFalse();
        stream.sendText("ld");
        stream.endOfText();
        stream.endOfText(); // once is enough
        SynthesisEnd end = stream.awaitEnd(WAIT);
        assertThat(end.getWords()).isEqualTo(2);
        assertThat(stream.bufferedBytes()).isZero();
        assertThatThrownBy(() -> stream.sendText("more")).isInstanceOf(IllegalStateException.class);
      }
      assertThat(rec.words).extracting(WordTiming::getText).containsExactly("Hello", "world");
      assertThat(speech.pieces)
          .containsExactly("Hel", "lo wor", "ld"); // the empty piece is not sent
      SynthesizeRequest config = speech.requests.get(0);
      assertThat(config.getText()).isEmpty();
      assertThat(config.getVoice()).isEqualTo("alto");
      assertThat(config.getTemperature()).isZero();
      assertThat(config.getSeed()).isEqualTo(1);
      try (Synthesis unary = client.synthesize("Hello world", options)) {
        assertThat(rec.audio()).isEqualTo(unary.collect().audio());
      }
    }
  }

  @Test
  void theServersRefusalReachesEveryWayOfWaiting() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.speaking(new ScriptedSpeech());
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      SpeechOptions nobody = SpeechOptions.builder().voice("nobody").build();
      try (Synthesis s = client.synthesize("Hello", nobody)) {
        assertThatThrownBy(s::hasNext)
            .isInstanceOfSatisfying(
                ParleyException.class,
                e -> {
                  assertThat(e.code()).isEqualTo("INVALID_ARGUMENT");
                  assertThat(e.description())
                      .isEqualTo("unknown voice 'nobody' (known: alto, bass)");
                });
      }
      Recorder rec = new Recorder();
      SpeechCall call = client.synthesize("Hello", nobody, rec);
      assertThatThrownBy(() -> call.awaitEnd(WAIT))
          .isInstanceOfSatisfying(
              ParleyException.class, e -> assertThat(e.code()).isEqualTo("INVALID_ARGUMENT"));
      assertThat(rec.events).containsExactly("error");
      assertThat(rec.error.description()).contains("nobody");

      Recorder streamRec = new Recorder();
      SpeechStream stream = client.openSpeechStream(nobody, streamRec);
      assertThatThrownBy(() -> stream.awaitEnd(WAIT))
          .isInstanceOfSatisfying(
              ParleyException.class,
              e -> assertThat(e.description()).contains("unknown voice 'nobody'"));
      // Sending after a failure reports the failure; ending the text does nothing.
      assertThatThrownBy(() -> stream.sendText("Hello "))
          .isInstanceOfSatisfying(
              ParleyException.class, e -> assertThat(e.code()).isEqualTo("INVALID_ARGUMENT"));
      stream.endOfText();
      assertThat(streamRec.events).containsExactly("error");
    }
  }

  @Test
  void emptyTextIsRefusedBeforeAnyCall() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.speaking(new ScriptedSpeech());
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      assertThatThrownBy(
              () -> client.synthesize("  ", SpeechOptions.defaults(), new SpeechListener() {}))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("nothing to say");
    }
  }

  @Test
  void dialogueTurnsGoOutWithTheirVoices() throws Exception {
    ScriptedSpeech speech = new ScriptedSpeech();
    try (FakeParleyServer server = FakeParleyServer.speaking(speech);
        ParleyClient client = ParleyClient.builder().target(server.target()).build();
        Synthesis s =
            client.synthesize(
                null,
                SpeechOptions.builder()
                    .turns(List.of("Hi there.", "Hello."))
                    .voices(List.of("alto", "bass"))
                    .build())) {
      assertThat(s.collect().words())
          .extracting(WordTiming::getText)
          .containsExactly("Hi", "there.", "Hello.");
    }
    assertThat(speech.requests.get(0).getTurnsList()).containsExactly("Hi there.", "Hello.");
    assertThat(speech.requests.get(0).getVoicesList()).containsExactly("alto", "bass");
  }

  @Test
  void listVoicesReturnsTheVoicesTheDefaultAndMaxSpeakers() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.speaking(new ScriptedSpeech());
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      ListVoicesResponse v = client.listVoices();
      assertThat(v.getVoicesList()).extracting(Voice::getName).containsExactly("alto", "bass");
      assertThat(v.getDefaultVoice()).isEqualTo("alto");
      assertThat(v.getMaxSpeakers()).isEqualTo(2);
    }
  }

  @Test
  void aServerWithoutSpeechAnswersUnimplementedEverywhere() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.echo();
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      assertThatThrownBy(client::listVoices)
          .isInstanceOfSatisfying(
              ParleyException.class, e -> assertThat(e.code()).isEqualTo("UNIMPLEMENTED"));
      SpeechStream stream =
          client.openSpeechStream(SpeechOptions.defaults(), new SpeechListener() {});
      assertThatThrownBy(() -> stream.awaitEnd(WAIT))
          .isInstanceOfSatisfying(
              ParleyException.class,
              e -> {
                assertThat(e.code()).isEqualTo("UNIMPLEMENTED");
                assertThat(e.description()).contains("parley.v1.Speech/SynthesizeStream");
              });
    }
  }

  @Test
  void cancellingAStreamEndsItOnBothSides() throws Exception {
    ScriptedSpeech speech = new ScriptedSpeech();
    try (FakeParleyServer server = FakeParleyServer.speaking(speech);
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      Recorder rec = new Recorder();
      SpeechStream stream = client.openSpeechStream(SpeechOptions.defaults(), rec);
      stream.sendText("one two ");
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (rec.words.size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      stream.cancel();
      assertThatThrownBy(() -> stream.awaitEnd(WAIT))
          .isInstanceOfSatisfying(
              ParleyException.class, e -> assertThat(e.code()).isEqualTo("CANCELLED"));
      assertThat(rec.error.code()).isEqualTo("CANCELLED");
      deadline = System.nanoTime() + WAIT.toNanos();
      while (speech.cancelled == 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(speech.cancelled).isEqualTo(1);
    }
  }

  @Test
  void aSynthesisClosedWithoutItsEndIsUnknown() throws Exception {
    SpeechGrpc.SpeechImplBase rude =
        new SpeechGrpc.SpeechImplBase() {
          @Override
          public void synthesize(
              SynthesizeRequest request, StreamObserver<SynthesizeResponse> out) {
            out.onNext(
                SynthesizeResponse.newBuilder()
                    .setReady(SynthesisReady.getDefaultInstance())
                    .build());
            out.onCompleted();
          }
        };
    try (FakeParleyServer server = FakeParleyServer.speaking(rude);
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      try (Synthesis s = client.synthesize("Hello")) {
        assertThatThrownBy(s::collect)
            .isInstanceOfSatisfying(
                ParleyException.class,
                e -> {
                  assertThat(e.code()).isEqualTo("UNKNOWN");
                  assertThat(e.description()).contains("without a SynthesisEnd");
                });
      }
      SpeechCall call =
          client.synthesize("Hello", SpeechOptions.defaults(), new SpeechListener() {});
      assertThatThrownBy(() -> call.awaitEnd(WAIT))
          .isInstanceOfSatisfying(
              ParleyException.class, e -> assertThat(e.code()).isEqualTo("UNKNOWN"));
    }
  }

  @Test
  void textTheServerDoesNotReadWaitsInABoundedBuffer() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<Integer> received = new CopyOnWriteArrayList<>();
    SpeechGrpc.SpeechImplBase stalled =
        new SpeechGrpc.SpeechImplBase() {
          @Override
          public StreamObserver<SynthesizeStreamRequest> synthesizeStream(
              StreamObserver<SynthesizeResponse> out) {
            ServerCallStreamObserver<SynthesizeResponse> call =
                (ServerCallStreamObserver<SynthesizeResponse>) out;
            call.disableAutoRequest();
            call.request(1); // the config, then nothing until released
            new Thread(
                    () -> {
                      try {
                        release.await(30, TimeUnit.SECONDS);
                      } catch (InterruptedException e) {
                        return;
                      }
                      call.request(Integer.MAX_VALUE);
                    })
                .start();
            return new StreamObserver<>() {
              @Override
              public void onNext(SynthesizeStreamRequest r) {
                if (r.hasText()) {
                  received.add(r.getText().length());
                } else if (r.hasEndOfText()) {
                  out.onNext(
                      SynthesizeResponse.newBuilder()
                          .setEnd(SynthesisEnd.newBuilder().setWords(received.size()))
                          .build());
                  out.onCompleted();
                }
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            };
          }
        };
    try (FakeParleyServer server = FakeParleyServer.speaking(stalled);
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      SpeechStream stream =
          client.openSpeechStream(
              SpeechOptions.builder().maxBufferedBytes(100_000).build(), new SpeechListener() {});
      String piece = "word ".repeat(3200); // 16 kB
      List<Integer> sent = new ArrayList<>();
      // Fill the transport's windows: it stops taking text once the server reads none.
      while (sent.size() < 1000 && stream.awaitReady(Duration.ofMillis(500))) {
        stream.sendText(piece);
        sent.add(piece.length());
      }
      assertThat(sent.size()).as("the transport stalls").isLessThan(1000);
      // Then the SDK queues up to its bound, and refuses more.
      assertThatThrownBy(
              () -> {
                for (int i = 0; i < 100; i++) {
                  stream.sendText(piece);
                  sent.add(piece.length());
                }
              })
          .isInstanceOf(SendBufferFullException.class);
      assertThat(stream.bufferedBytes()).isGreaterThan(80_000).isLessThanOrEqualTo(100_000);
      assertThat(stream.awaitReady(Duration.ofMillis(100))).isFalse();
      release.countDown();
      assertThat(stream.awaitReady(WAIT)).isTrue();
      stream.endOfText();
      assertThat(stream.awaitEnd(WAIT).getWords()).isEqualTo(sent.size());
      assertThat(received).hasSameSizeAs(sent); // nothing lost, nothing twice
    }
  }
}
