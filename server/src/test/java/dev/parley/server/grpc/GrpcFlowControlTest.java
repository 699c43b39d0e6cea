package dev.parley.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.google.protobuf.ByteString;
import dev.parley.codec.audio.Pcm;
import dev.parley.codec.testing.Signals;
import dev.parley.proto.v1.AudioChunk;
import dev.parley.proto.v1.AudioFormat;
import dev.parley.proto.v1.ConverseRequest;
import dev.parley.proto.v1.ConverseResponse;
import dev.parley.proto.v1.DialogueGrpc;
import dev.parley.proto.v1.Encoding;
import dev.parley.proto.v1.SessionConfig;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Back-pressure both ways: a client ahead of real time is slowed, one that stops reading is closed.
 */
class GrpcFlowControlTest {
  static SpeechModel model;
  static ParleyServer server;
  static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    model = DemoModel.build(Device.cpu());
    server =
        new ParleyServer(
                model,
                ServerConfig.builder().host("127.0.0.1").port(0).grpcPort(0).maxSessions(2).build())
            .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    model.close();
  }

  /**
   * Streams {@code seconds} of PCM as fast as the server's flow control lets it, optionally never
   * reading.
   */
  static Status stream(double seconds, boolean read, AtomicLong audioBytes) throws Exception {
    float[] pcm = Signals.sine(220, 24000, (int) (seconds * 24000), 0.3);
    byte[] bytes = Pcm.monoToS16le(pcm, 0, pcm.length);
    CompletableFuture<Status> done = new CompletableFuture<>();
    int[] sent = {0};
    CompletableFuture<ClientCallStreamObserver<ConverseRequest>> call = new CompletableFuture<>();
    DialogueGrpc.newStub(channel)
        .converse(
            new ClientResponseObserver<ConverseRequest, ConverseResponse>() {
              ClientCallStreamObserver<ConverseRequest> requests;

              @Override
              public void beforeStart(ClientCallStreamObserver<ConverseRequest> r) {
                requests = r;
                call.complete(r);
                if (!read) {
                  r.disableAutoRequestWithInitial(0); // never asks for a response message
                }
                r.setOnReadyHandler(
                    () -> {
                      if (sent[0] == 0) {
                        AudioFormat f =
                            AudioFormat.newBuilder()
                                .setEncoding(Encoding.PCM_S16LE)
                                .setSampleRateHz(24000)
                                .build();
                        r.onNext(
                            ConverseRequest.newBuilder()
                                .setConfig(SessionConfig.newBuilder().setInputFormat(f))
                                .build());
                      }
                      while (r.isReady()
                          && sent[0] < bytes.length) { // the client side of flow control
                        int n = Math.min(3840, bytes.length - sent[0]);
                        r.onNext(
                            ConverseRequest.newBuilder()
                                .setAudio(
                                    AudioChunk.newBuilder()
                                        .setData(ByteString.copyFrom(bytes, sent[0], n)))
                                .build());
                        sent[0] += n;
                      }
                      if (sent[0] >= bytes.length && sent[0] != Integer.MAX_VALUE) {
                        sent[0] = Integer.MAX_VALUE;
                        r.onCompleted();
                      }
                    });
              }

              @Override
              public void onNext(ConverseResponse value) {
                if (value.hasAudio()) {
                  audioBytes.addAndGet(value.getAudio().getData().size());
                }
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
    if (!read) {
      // The server must give up on this client by itself; only then does the client read, to
      // collect the status that waits behind the unread messages.
      long end = System.currentTimeMillis() + 90_000;
      while (server.engine().activeSessions() == 0 && System.currentTimeMillis() < end) {
        Thread.sleep(20);
      }
      while (server.engine().activeSessions() > 0 && System.currentTimeMillis() < end) {
        Thread.sleep(20);
      }
      assertThat(server.engine().activeSessions()).as("session closed by the server").isZero();
      call.get().request(Integer.MAX_VALUE);
    }
    return done.get(120, TimeUnit.SECONDS);
  }

  @Test
  void aClientFarAheadOfRealTimeIsSlowedDownNotClosed() throws Exception {
    AtomicLong audio = new AtomicLong();
    // 20 s of audio offered at once: 250 frames, ten times the session's input queue.
    assertThat(stream(20, true, audio)).isEqualTo(Status.OK);
    assertThat(audio.get() / 2).as("reply samples").isBetween(248L * 1920, 250L * 1920);
  }

  @Test
  void aClientThatStopsReadingIsClosedWithResourceExhausted() throws Exception {
    Status s = stream(30, false, new AtomicLong());
    assertThat(s.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(s.getDescription()).contains("client is not reading");
  }
}
