package dev.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.client.testing.FakeParleyServer;
import dev.parley.client.testing.ScriptedTranscription;
import dev.parley.codec.audio.Pcm;
import dev.parley.proto.v1.EndOfTurn;
import dev.parley.proto.v1.FinalTranscript;
import dev.parley.proto.v1.Marker;
import dev.parley.proto.v1.PauseProbabilities;
import dev.parley.proto.v1.TranscribeConfig;
import dev.parley.proto.v1.TranscribeRequest;
import dev.parley.proto.v1.TranscribeResponse;
import dev.parley.proto.v1.TranscriptionGrpc;
import dev.parley.proto.v1.TranscriptionInfo;
import dev.parley.proto.v1.Word;
import dev.parley.proto.v1.WordEnd;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** TranscriptionSession against stand-in Transcription services on a real loopback gRPC server. */
class TranscriptionSessionTest {
  static final Duration WAIT = Duration.ofSeconds(10);

  /** Every callback, in order, as "kind:detail". */
  static final class Recorder implements TranscriptionListener {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void onSession(TranscriptionInfo s) {
      events.add("session:" + s.getSessionId() + "/" + s.getModel() + "/" + s.getDelayS());
    }

    @Override
    public void onWord(Word w) {
      events.add("word:" + w.getIndex() + ":" + w.getText() + "@" + w.getStartS());
    }

    @Override
    public void onWordEnd(WordEnd e) {
      events.add("end:" + e.getIndex() + "@" + e.getEndS());
    }

    @Override
    public void onPause(PauseProbabilities p) {
      events.add("pause:" + p.getStep());
    }

    @Override
    public void onEndOfTurn(EndOfTurn e) {
      events.add("turn:" + e.getStep());
    }

    @Override
    public void onMarker(Marker m) {
      events.add("marker:" + m.getId());
    }

    @Override
    public void onFinal(FinalTranscript t) {
      events.add("final:" + t.getText());
    }

    @Override
    public void onError(ParleyException e) {
      events.add("error:" + e.code());
    }
  }

  static TranscribeConfig pcm24k() {
    return TranscribeConfig.newBuilder().setInputFormat(AudioFormats.pcmS16le(24000)).build();
  }

  @Test
  void everyMessageKindReachesTheListenerInTheServersOrder() throws Exception {
    ScriptedTranscription stt = ScriptedTranscription.greeting();
    try (FakeParleyServer server = FakeParleyServer.transcribing(stt);
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      Recorder r = new Recorder();
      TranscriptionSession s =
          client.transcribe(pcm24k().toBuilder().setPauseProbabilitiesEverySteps(25).build(), r);
      float[] frame = new float[1920]; // 80 ms
      for (int k = 0; k < 50; k++) { // 4 s
        assertThat(s.awaitReady(WAIT)).isTrue();
        s.sendAudio(frame);
        if (k == 29) {
          s.sendMarker(
              777); // after 2.4 s: "Hello", "world." and its turn (at 1.36 + 1 s) are out before it
        }
      }
      s.endInput();
      FinalTranscript t = s.awaitFinal(WAIT);
      assertThat(t.getText()).isEqualTo("Hello world. How are you?");
      assertThat(t.getWordsList())
          .extracting(Word::getEndS)
          .containsExactly(0.80, 1.36, 2.24, 2.48, 2.96);
      assertThat(s.session().getSessionId()).isEqualTo("stt-1");
      assertThat(s.isDone()).isTrue();
      // Word i appears once start + 0.5 s of audio has arrived; the turn once end + 1 s has.
      assertThat(r.events)
          .containsExactly(
              "session:stt-1/scripted/0.5",
              "pause:25", // at 0.96 s: step 13 + 12
              "word:0:Hello@0.4", // 0.4 + 0.5 s: sent with the chunk ending at 0.96 s
              "end:0@0.8",
              "word:1:world.@0.88", // 1.38 s -> 1.44
              "turn:43", // 1.36 + 1 s = 2.36 s -> 13 + ceil(29.5)
              "marker:777",
              "end:1@1.36",
              "word:2:How@2.0", // 2.5 s -> 2.56
              "end:2@2.24",
              "word:3:are@2.32", // 2.82 s -> 2.88
              "pause:50", // 2.96 s
              "end:3@2.48",
              "word:4:you?@2.56", // 3.06 s -> 3.12
              "end:4@2.96",
              "final:Hello world. How are you?");
      assertThat(stt.markers).containsExactly(777L);
      assertThat(stt.audioBytes()).hasSize(50 * 3840);
    }
  }

  @Test
  void floatsInAnOggOpusInputFormatArriveAsAnOggStream() throws Exception {
    ScriptedTranscription stt = ScriptedTranscription.greeting();
    try (FakeParleyServer server = FakeParleyServer.transcribing(stt);
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      TranscriptionSession s =
          client.transcribe(
              TranscribeConfig.newBuilder().setInputFormat(AudioFormats.oggOpus(24000)).build(),
              new Recorder());
      s.sendAudio(new float[24000]);
      s.endInput();
      assertThat(s.awaitFinal(WAIT).getWordsCount()).isEqualTo(5);
      byte[] ogg = stt.audioBytes();
      assertThat(new String(ogg, 0, 4, java.nio.charset.StandardCharsets.US_ASCII))
          .isEqualTo("OggS");
      assertThat(new String(ogg, java.nio.charset.StandardCharsets.ISO_8859_1))
          .contains("OpusHead", "OpusTags");
    }
  }

  @Test
  void misuseIsRefusedOnTheClient() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.transcribing(ScriptedTranscription.greeting());
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      assertThatThrownBy(
              () -> client.transcribe(TranscribeConfig.getDefaultInstance(), new Recorder()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("input_format");
      TranscriptionSession s = client.transcribe(pcm24k(), new Recorder());
      s.endInput();
      assertThatThrownBy(() -> s.sendMarker(1)).isInstanceOf(IllegalStateException.class);
      s.awaitFinal(WAIT);
      assertThatThrownBy(() -> s.sendAudio(new byte[2]))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("ended");
    }
  }

  @Test
  void aServerWithoutSpeechToTextIsUnimplementedForListenerAndWaiter() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.echo();
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      Recorder r = new Recorder();
      TranscriptionSession s = client.transcribe(pcm24k(), r);
      assertThatThrownBy(() -> s.awaitFinal(WAIT))
          .isInstanceOfSatisfying(
              ParleyException.class, e -> assertThat(e.code()).isEqualTo("UNIMPLEMENTED"));
      assertThat(r.events).containsExactly("error:UNIMPLEMENTED");
      assertThatThrownBy(() -> s.sendAudio(new byte[2])).isInstanceOf(ParleyException.class);
    }
  }

  @Test
  void aStreamThatEndsWithoutAFinalTranscriptIsAnError() throws Exception {
    TranscriptionGrpc.TranscriptionImplBase abrupt =
        new TranscriptionGrpc.TranscriptionImplBase() {
          @Override
          public StreamObserver<TranscribeRequest> transcribe(
              StreamObserver<TranscribeResponse> out) {
            out.onNext(
                TranscribeResponse.newBuilder().setWord(Word.newBuilder().setText("half")).build());
            out.onCompleted();
            return new ConversationTest.NoOpObserver<>();
          }
        };
    try (FakeParleyServer server = FakeParleyServer.transcribing(abrupt);
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      Recorder r = new Recorder();
      TranscriptionSession s = client.transcribe(pcm24k(), r);
      assertThatThrownBy(() -> s.awaitFinal(WAIT))
          .isInstanceOfSatisfying(
              ParleyException.class,
              e -> {
                assertThat(e.code()).isEqualTo("UNKNOWN");
                assertThat(e.description()).contains("without a FinalTranscript");
              });
      assertThat(r.events).containsExactly("word:0:half@0.0", "error:UNKNOWN");
    }
  }

  @Test
  void awaitFinalTimesOutWithoutEndingTheCallAndCancelEndsIt() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.transcribing(ScriptedTranscription.greeting());
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      Recorder r = new Recorder();
      TranscriptionSession s = client.transcribe(pcm24k(), r);
      assertThatThrownBy(() -> s.awaitFinal(Duration.ofMillis(200)))
          .isInstanceOfSatisfying(
              ParleyException.class, e -> assertThat(e.code()).isEqualTo("DEADLINE_EXCEEDED"));
      assertThat(s.isDone()).isFalse();
      s.close();
      assertThatThrownBy(() -> s.awaitFinal(WAIT))
          .isInstanceOfSatisfying(
              ParleyException.class, e -> assertThat(e.code()).isEqualTo("CANCELLED"));
      assertThat(r.events).endsWith("error:CANCELLED");
    }
  }

  @Test
  void aServerThatStopsReadingFillsTheBoundedBufferInsteadOfMemory() throws Exception {
    CountDownLatch configSeen = new CountDownLatch(1);
    TranscriptionGrpc.TranscriptionImplBase stalled =
        new TranscriptionGrpc.TranscriptionImplBase() {
          @Override
          public StreamObserver<TranscribeRequest> transcribe(
              StreamObserver<TranscribeResponse> out) {
            ServerCallStreamObserver<TranscribeResponse> call =
                (ServerCallStreamObserver<TranscribeResponse>) out;
            call.disableAutoRequest();
            call.request(1); // the config, then nothing more
            return new ConversationTest.NoOpObserver<>() {
              @Override
              public void onNext(TranscribeRequest r) {
                configSeen.countDown();
              }
            };
          }
        };
    long limit = 128 * 1024;
    try (FakeParleyServer server = FakeParleyServer.transcribing(stalled);
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      TranscriptionSession s = client.transcribe(pcm24k(), new Recorder(), limit);
      assertThat(configSeen.await(10, TimeUnit.SECONDS)).isTrue();
      byte[] chunk = Pcm.monoToS16le(new float[1920], 0, 1920);
      long sent = 0;
      int refusals = 0;
      while (true) {
        try {
          s.sendAudio(chunk);
          s.sendMarker(sent); // markers keep their place but take no room
          sent += chunk.length;
        } catch (SendBufferFullException e) {
          refusals++;
          if (!s.awaitReady(Duration.ofMillis(500))) {
            break;
          }
        }
        assertThat(sent).as("bytes accepted by a server that reads nothing").isLessThan(32L << 20);
      }
      assertThat(refusals).isPositive();
      assertThat(s.bufferedBytes()).isLessThanOrEqualTo(limit);
      s.cancel();
      assertThat(s.awaitReady(Duration.ofSeconds(5))).isTrue();
    }
  }

  @Test
  void awaitReadyLetsAFileGoOutAsFastAsTheServerTakesIt() throws Exception {
    ScriptedTranscription stt = ScriptedTranscription.greeting();
    try (FakeParleyServer server = FakeParleyServer.transcribing(stt);
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      TranscriptionSession s = client.transcribe(pcm24k(), new Recorder(), 4 * 3840);
      byte[] chunk = new byte[3840];
      int chunks = 20 * 125 / 10; // 20 s
      for (int k = 0; k < chunks; k++) {
        assertThat(s.awaitReady(WAIT)).isTrue();
        chunk[0] = (byte) k;
        s.sendAudio(chunk);
      }
      s.endInput();
      assertThat(s.awaitFinal(WAIT).getWordsCount()).isEqualTo(5);
      byte[] got = stt.audioBytes();
      assertThat(got).hasSize(chunks * 3840);
      for (int k = 0; k < chunks; k++) {
        assertThat(got[k * 3840]).isEqualTo((byte) k);
      }
    }
  }
}
