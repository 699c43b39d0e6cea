package dev.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.client.testing.FakeParleyServer;
import dev.parley.proto.v1.ListModelsRequest;
import dev.parley.proto.v1.ListModelsResponse;
import dev.parley.proto.v1.ModelsGrpc;
import dev.parley.proto.v1.SynthesizeRequest;
import dev.parley.proto.v1.TranscribeConfig;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Unary calls, the services the server does not implement yet, and client settings. */
class ParleyClientTest {

  @Test
  void modelsListsWhatTheServerSends() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.echo();
        ParleyClient client = ParleyClient.builder().target("127.0.0.1", server.port()).build()) {
      assertThat(client.models()).isEqualTo(FakeParleyServer.Models.MODELS);
    }
  }

  @Test
  void unimplementedServicesSurfaceAsParleyExceptionsNamingTheMethod() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.echo();
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      TranscriptionSession t =
          client.transcribe(
              TranscribeConfig.newBuilder().setInputFormat(AudioFormats.pcmS16le(24000)).build(),
              new TranscriptionListener() {});
      assertThatThrownBy(() -> t.awaitFinal(Duration.ofSeconds(10)))
          .isInstanceOfSatisfying(
              ParleyException.class,
              e -> {
                assertThat(e.code()).isEqualTo("UNIMPLEMENTED");
                assertThat(e.description()).contains("parley.v1.Transcription/Transcribe");
              });
      try (ParleyIterator<?> it =
          client.synthesize(SynthesizeRequest.newBuilder().setText("hello").build())) {
        assertThatThrownBy(it::hasNext)
            .isInstanceOfSatisfying(
                ParleyException.class,
                e -> {
                  assertThat(e.code()).isEqualTo("UNIMPLEMENTED");
                  assertThat(e.description()).contains("parley.v1.Speech/Synthesize");
                });
      }
    }
  }

  @Test
  void unaryCallsFailWithDeadlineExceededAfterTheConfiguredDeadline() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    ModelsGrpc.ModelsImplBase slow =
        new ModelsGrpc.ModelsImplBase() {
          @Override
          public void list(ListModelsRequest request, StreamObserver<ListModelsResponse> out) {
            try {
              release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            out.onNext(ListModelsResponse.getDefaultInstance());
            out.onCompleted();
          }
        };
    try (FakeParleyServer server =
            new FakeParleyServer(new FakeParleyServer.EchoDialogue(), slow, null);
        ParleyClient client =
            ParleyClient.builder()
                .target(server.target())
                .deadline(Duration.ofMillis(200))
                .build()) {
      long t0 = System.nanoTime();
      assertThatThrownBy(client::models)
          .isInstanceOfSatisfying(
              ParleyException.class, e -> assertThat(e.code()).isEqualTo("DEADLINE_EXCEEDED"));
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    } finally {
      release.countDown();
    }
  }

  @Test
  void anUnreachableServerIsUnavailable() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    try (ParleyClient client = ParleyClient.builder().target("127.0.0.1:" + port).build()) {
      assertThatThrownBy(client::models)
          .isInstanceOfSatisfying(
              ParleyException.class, e -> assertThat(e.code()).isEqualTo("UNAVAILABLE"));
    }
  }

  @Test
  void targetsParseHostPortDefaultPortAndBracketedIpv6() {
    assertThat(HostPort.parse("example.org:1234", 9998))
        .isEqualTo(new HostPort("example.org", 1234));
    assertThat(HostPort.parse("example.org", 9998)).isEqualTo(new HostPort("example.org", 9998));
    assertThat(HostPort.parse("[::1]:50051", 9998)).isEqualTo(new HostPort("::1", 50051));
    assertThat(HostPort.parse("::1", 9998)).isEqualTo(new HostPort("::1", 9998));
    assertThat(HostPort.format("::1", 5)).isEqualTo("[::1]:5");
    for (String bad : List.of("host:0", "host:x", "host:70000", "", "[::1")) {
      assertThatThrownBy(() -> HostPort.parse(bad, 9998))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
