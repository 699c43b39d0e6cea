package dev.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.client.testing.FakeParleyServer;
import dev.parley.codec.audio.Pcm;
import dev.parley.proto.v1.ConverseRequest;
import dev.parley.proto.v1.ConverseResponse;
import dev.parley.proto.v1.DialogueGrpc;
import dev.parley.proto.v1.End;
import dev.parley.proto.v1.FrameTiming;
import dev.parley.proto.v1.SessionInfo;
import dev.parley.proto.v1.TextPiece;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Conversations against a real gRPC server on loopback running a stand-in Dialogue service. */
class ConversationTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** Collects everything a listener hears. */
  static final class Recorder implements ConversationListener {
    final ByteArrayOutputStream audio = new ByteArrayOutputStream();
    final List<TextPiece> texts = new CopyOnWriteArrayList<>();
    final List<FrameTiming> timings = new CopyOnWriteArrayList<>();
    final AtomicReference<SessionInfo> session = new AtomicReference<>();
    final AtomicReference<End> end = new AtomicReference<>();
    final AtomicReference<ParleyException> error = new AtomicReference<>();
    final CountDownLatch finished = new CountDownLatch(1);

    @Override
    public void onSession(SessionInfo s) {
      session.set(s);
    }

    @Override
    public synchronized void onAudio(byte[] chunk) {
      audio.writeBytes(chunk);
    }

    @Override
    public void onText(TextPiece t) {
      texts.add(t);
    }

    @Override
    public void onTiming(FrameTiming t) {
      timings.add(t);
    }

    @Override
    public void onEnd(End e) {
      end.set(e);
      finished.countDown();
    }

    @Override
    public void onError(ParleyException e) {
      error.set(e);
      finished.countDown();
    }
  }

  @Test
  void audioSentAsFloatsComesBackFromAnEchoServerSampleForSample() throws Exception {
    float[] tone = tone(24000 + 700, 440, 0.5); // not a whole number of frames or chunks
    try (FakeParleyServer server = FakeParleyServer.echo();
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      Recorder r = new Recorder();
      Conversation c =
          client.converse(ConversationOptions.builder().frameTiming(true).seed(7).build(), r);
      for (int off = 0; off < tone.length; off += 1000) {
        c.sendAudio(java.util.Arrays.copyOfRange(tone, off, Math.min(tone.length, off + 1000)));
      }
      c.endInput();
      End end = c.awaitEnd(WAIT);

      float[] back = Pcm.s16leToMono(r.audio.toByteArray(), 1);
      assertThat(back).hasSize(tone.length);
      for (int i = 0; i < tone.length; i++) {
        assertThat(back[i])
            .isEqualTo(Pcm.s16ToFloat(Pcm.floatToS16(tone[i]))); // exactly one 16-bit quantisation
      }
      long frames = (tone.length + 1919) / 1920;
      assertThat(end.getFrames()).isEqualTo(frames);
      assertThat(r.texts).hasSize((int) frames);
      assertThat(r.timings).hasSize((int) frames);
      assertThat(r.session.get().getSampling().getSeed())
          .isEqualTo(7); // the config reached the server
      assertThat(c.session()).isEqualTo(r.session.get());
      assertThat(c.isDone()).isTrue();
    }
  }

  @Test
  void floatsSentInAnOggOpusInputFormatArriveAsADecodableOggOpusStream() throws Exception {
    float[] tone = tone(24000, 300, 0.3);
    try (FakeParleyServer server = FakeParleyServer.echo();
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      Recorder r = new Recorder(); // the echo sends the Ogg bytes straight back
      Conversation c =
          client.converse(
              ConversationOptions.builder().inputFormat(AudioFormats.oggOpus(24000)).build(), r);
      c.sendAudio(tone);
      c.endInput(); // closes the Ogg stream: its last page goes out before END_OF_INPUT
      c.awaitEnd(WAIT);
      long[] decoded = {0};
      dev.parley.codec.opus.OggOpusReader reader =
          new dev.parley.codec.opus.OggOpusReader(24000, (x, off, n) -> decoded[0] += n);
      reader.feed(r.audio.toByteArray());
      reader.finish();
      assertThat(decoded[0]).isEqualTo(tone.length);
    }
  }

  @Test
  void apiKeyTravelsAsBearerAuthorizationOnEveryCall() throws Exception {
    try (FakeParleyServer server =
            new FakeParleyServer(new FakeParleyServer.EchoDialogue(), "k-123");
        ParleyClient client =
            ParleyClient.builder().target(server.target()).apiKey("k-123").build()) {
      Conversation c = client.converse(ConversationOptions.defaults(), new Recorder());
      c.endInput();
      c.awaitEnd(WAIT);
      assertThat(client.models()).hasSize(2);
      assertThat(server.authorizations).containsExactly("Bearer k-123", "Bearer k-123");
    }
  }

  @Test
  void aWrongKeyIsUnauthenticatedWithTheServersMessage() throws Exception {
    try (FakeParleyServer server =
            new FakeParleyServer(new FakeParleyServer.EchoDialogue(), "right");
        ParleyClient client =
            ParleyClient.builder().target(server.target()).apiKey("wrong").build()) {
      Recorder r = new Recorder();
      Conversation c = client.converse(ConversationOptions.defaults(), r);
      assertThat(r.finished.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(r.error.get().code()).isEqualTo("UNAUTHENTICATED");
      assertThat(r.error.get().description()).isEqualTo("missing or unknown API key");
      assertThatThrownBy(() -> c.awaitEnd(WAIT))
          .isInstanceOf(ParleyException.class)
          .hasMessageContaining("UNAUTHENTICATED");
      assertThatThrownBy(() -> c.sendAudio(new byte[4])).isInstanceOf(ParleyException.class);
      assertThatThrownBy(client::models)
          .isInstanceOfSatisfying(
              ParleyException.class, e -> assertThat(e.code()).isEqualTo("UNAUTHENTICATED"));
    }
  }

  @Test
  void serverStatusesBecomeParleyExceptionsWithCodeAndDescription() throws Exception {
    DialogueGrpc.DialogueImplBase full =
        new DialogueGrpc.DialogueImplBase() {
          @Override
          public StreamObserver<ConverseRequest> converse(StreamObserver<ConverseResponse> out) {
            out.onError(
                Status.RESOURCE_EXHAUSTED
                    .withDescription("all 8 session slots are taken")
                    .asRuntimeException());
            return new NoOpObserver<>();
          }
        };
    try (FakeParleyServer server = new FakeParleyServer(full, null);
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      Recorder r = new Recorder();
      Conversation c = client.converse(ConversationOptions.defaults(), r);
      assertThatThrownBy(() -> c.awaitEnd(WAIT))
          .isInstanceOfSatisfying(
              ParleyException.class,
              e -> {
                assertThat(e.code()).isEqualTo("RESOURCE_EXHAUSTED");
                assertThat(e.description()).isEqualTo("all 8 session slots are taken");
              });
      assertThat(r.error.get().code()).isEqualTo("RESOURCE_EXHAUSTED");
      assertThat(r.end.get()).isNull();
    }
  }

  @Test
  void aStreamThatEndsWithoutEndIsAnError() throws Exception {
    DialogueGrpc.DialogueImplBase rude =
        new DialogueGrpc.DialogueImplBase() {
          @Override
          public StreamObserver<ConverseRequest> converse(StreamObserver<ConverseResponse> out) {
            out.onCompleted();
            return new NoOpObserver<>();
          }
        };
    try (FakeParleyServer server = new FakeParleyServer(rude, null);
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      Conversation c = client.converse(ConversationOptions.defaults(), new Recorder());
      assertThatThrownBy(() -> c.awaitEnd(WAIT))
          .isInstanceOf(ParleyException.class)
          .hasMessageContaining("without an End");
    }
  }

  @Test
  void cancelEndsTheCallOnBothSides() throws Exception {
    CountDownLatch serverSawCall = new CountDownLatch(1);
    CountDownLatch serverSawCancel = new CountDownLatch(1);
    DialogueGrpc.DialogueImplBase silent =
        new DialogueGrpc.DialogueImplBase() {
          @Override
          public StreamObserver<ConverseRequest> converse(StreamObserver<ConverseResponse> out) {
            ((ServerCallStreamObserver<ConverseResponse>) out)
                .setOnCancelHandler(serverSawCancel::countDown);
            serverSawCall.countDown();
            return new NoOpObserver<>();
          }
        };
    try (FakeParleyServer server = new FakeParleyServer(silent, null);
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      Recorder r = new Recorder();
      Conversation c = client.converse(ConversationOptions.defaults(), r);
      c.sendAudio(new byte[3840]);
      assertThat(serverSawCall.await(10, TimeUnit.SECONDS)).isTrue();
      c.cancel();
      assertThat(serverSawCancel.await(10, TimeUnit.SECONDS)).isTrue();
      assertThatThrownBy(() -> c.awaitEnd(WAIT))
          .isInstanceOfSatisfying(
              ParleyException.class, e -> assertThat(e.code()).isEqualTo("CANCELLED"));
      assertThat(r.error.get().code()).isEqualTo("CANCELLED");
    }
  }

  @Test
  void awaitEndTimesOutWithoutClosingTheConversation() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.echo();
        ParleyClient client = ParleyClient.builder().target(server.target()).build();
        Conversation c = client.converse(ConversationOptions.defaults(), new Recorder())) {
      assertThatThrownBy(() -> c.awaitEnd(Duration.ofMillis(100)))
          .isInstanceOfSatisfying(
              ParleyException.class, e -> assertThat(e.code()).isEqualTo("DEADLINE_EXCEEDED"));
      assertThat(c.isDone()).isFalse();
      c.endInput();
      assertThat(c.awaitEnd(WAIT).getFrames()).isZero();
    }
  }

  @Test
  void aServerThatStopsReadingFillsTheBoundedBufferInsteadOfMemory() throws Exception {
    CountDownLatch configSeen = new CountDownLatch(1);
    DialogueGrpc.DialogueImplBase stalled =
        new DialogueGrpc.DialogueImplBase() {
          @Override
          public StreamObserver<ConverseRequest> converse(StreamObserver<ConverseResponse> out) {
            ServerCallStreamObserver<ConverseResponse> call =
                (ServerCallStreamObserver<ConverseResponse>) out;
            call.disableAutoRequest();
            call.request(1); // the config, then nothing more
            return new NoOpObserver<>() {
              @Override
              public void onNext(ConverseRequest r) {
                configSeen.countDown();
              }
            };
          }
        };
    long limit = 256 * 1024;
    try (FakeParleyServer server = new FakeParleyServer(stalled, null);
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      Conversation c =
          client.converse(
              ConversationOptions.builder().maxBufferedBytes(limit).build(), new Recorder());
      assertThat(configSeen.await(10, TimeUnit.SECONDS)).isTrue();
      byte[] chunk = new byte[3840]; // 80 ms of 24 kHz 16-bit
      long sent = 0;
      int refusals = 0;
      // Send flat out; on each refusal wait a little for the transport. Once gRPC's windows are
      // full
      // nothing moves any more, and the SDK holds no more than its limit.
      while (true) {
        try {
          c.sendAudio(chunk);
          sent += chunk.length;
        } catch (SendBufferFullException e) {
          assertThat(e.code()).isEqualTo("RESOURCE_EXHAUSTED");
          assertThat(e.description()).contains("send buffer full");
          refusals++;
          if (!c.awaitReady(Duration.ofMillis(500))) {
            break;
          }
        }
        assertThat(sent).as("bytes accepted by a server that reads nothing").isLessThan(32L << 20);
      }
      assertThat(refusals).isPositive();
      assertThat(c.bufferedBytes()).isLessThanOrEqualTo(limit);
      c.cancel();
      assertThat(c.awaitReady(Duration.ofSeconds(5)))
          .isTrue(); // waiters are released by the end of the call
    }
  }

  @Test
  void awaitReadyPacesAFastProducerWithoutEverFillingTheBuffer() throws Exception {
    float[] sound = tone(24000 * 20, 300, 0.3); // 20 s, sent as fast as flow control allows
    try (FakeParleyServer server = FakeParleyServer.echo();
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      Recorder r = new Recorder();
      Conversation c =
          client.converse(ConversationOptions.builder().maxBufferedBytes(8 * 3840).build(), r);
      for (int off = 0; off < sound.length; off += 1920) {
        assertThat(c.awaitReady(WAIT)).isTrue();
        c.sendAudio(java.util.Arrays.copyOfRange(sound, off, off + 1920));
      }
      c.endInput();
      assertThat(c.awaitEnd(WAIT).getFrames()).isEqualTo(sound.length / 1920);
      assertThat(r.audio.size()).isEqualTo(sound.length * 2);
    }
  }

  static float[] tone(int n, double hz, double amplitude) {
    float[] x = new float[n];
    Random noise = new Random(1);
    for (int i = 0; i < n; i++) {
      x[i] =
          (float)
              (amplitude * Math.sin(2 * Math.PI * hz * i / 24000.0) + 0.01 * noise.nextGaussian());
    }
    return x;
  }

  /** A request observer that ignores everything. */
  static class NoOpObserver<T> implements StreamObserver<T> {
    @Override
    public void onNext(T value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
