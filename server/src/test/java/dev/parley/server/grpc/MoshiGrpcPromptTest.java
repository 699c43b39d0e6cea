package dev.parley.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.proto.v1.SessionConfig;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ApiKeys;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** SessionConfig's text prompt on the demo (Moshi) model over real gRPC: experimental. */
class MoshiGrpcPromptTest {
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
                    .apiKeys(new ApiKeys(Set.of(GrpcDialogueTest.KEY)))
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

  @Test
  void aTextPromptedSessionsFirstAudioDiffersFromAnUnpromptedOne() throws Exception {
    GrpcDialogueTest.Recorder prompted =
        GrpcPromptTest.converse(channel, SessionConfig.newBuilder().setTextPrompt("Be a pirate."));
    GrpcDialogueTest.Recorder plain = GrpcPromptTest.converse(channel, SessionConfig.newBuilder());
    assertThat(prompted.done.get()).isEqualTo(Status.OK);
    assertThat(plain.done.get()).isEqualTo(Status.OK);
    int frame = 1920 * 2;
    assertThat(prompted.audio().length).isGreaterThanOrEqualTo(frame);
    assertThat(plain.audio().length).isGreaterThanOrEqualTo(frame);
    assertThat(Arrays.copyOf(prompted.audio(), frame))
        .isNotEqualTo(Arrays.copyOf(plain.audio(), frame));
  }
}
