package dev.parley.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.parley.codec.audio.Pcm;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavWriter;
import dev.parley.proto.v1.ConverseRequest;
import dev.parley.proto.v1.Encoding;
import dev.parley.proto.v1.SessionConfig;
import dev.parley.server.ParleyServer;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.persona.PersonaPlexTiny;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SessionConfig's PersonaPlex prompt fields over a real gRPC channel (tiny PersonaPlex model). */
class GrpcPromptTest {
  @TempDir static Path dir;
  static SpeechModel model;
  static ParleyServer server;
  static ManagedChannel channel;
  static byte[] voiceWav;

  @BeforeAll
  static void start() throws Exception {
    model = PersonaPlexTiny.load(dir);
    Path wav = dir.resolve("voice.wav");
    WavWriter.writeMono(wav, PersonaPlexTiny.voice(), 24000, WavEncoding.PCM_S16);
    voiceWav = Files.readAllBytes(wav);
    server = PersonaPlexTiny.serve(model, GrpcDialogueTest.KEY);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    model.close();
  }

  static GrpcDialogueTest.Recorder converse(SessionConfig.Builder prompt) throws Exception {
    return converse(channel, prompt);
  }

  /** A greedy session on {@code channel} with the golden user audio, to the end of its output. */
  static GrpcDialogueTest.Recorder converse(ManagedChannel channel, SessionConfig.Builder prompt)
      throws Exception {
    var pcm16 = GrpcDialogueTest.format(Encoding.PCM_S16LE, 24000, 1);
    GrpcDialogueTest.Recorder r = new GrpcDialogueTest.Recorder();
    StreamObserver<ConverseRequest> in =
        dev.parley.proto.v1.DialogueGrpc.newStub(channel)
            .withInterceptors(
                io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(
                    GrpcDialogueTest.auth(GrpcDialogueTest.KEY)))
            .converse(r);
    in.onNext(
        ConverseRequest.newBuilder()
            .setConfig(
                prompt
                    .setInputFormat(pcm16)
                    .setOutputFormat(pcm16)
                    .setSampling(GrpcDialogueTest.GREEDY))
            .build());
    float[] user = PersonaPlexTiny.userAudio(8);
    in.onNext(GrpcDialogueTest.audio(Pcm.monoToS16le(user, 0, user.length)));
    in.onNext(GrpcDialogueTest.endOfInput());
    r.await();
    in.onCompleted();
    return r;
  }

  @Test
  void aPromptedSessionsFirstAudioDiffersFromAnUnpromptedOne() throws Exception {
    GrpcDialogueTest.Recorder prompted =
        converse(
            SessionConfig.newBuilder()
                .setTextPrompt("You are a calm robot.")
                .setVoiceWav(ByteString.copyFrom(voiceWav)));
    GrpcDialogueTest.Recorder plain = converse(SessionConfig.newBuilder());
    assertThat(prompted.done.get()).isEqualTo(Status.OK);
    assertThat(plain.done.get()).isEqualTo(Status.OK);
    int frame = 1920 * 2;
    assertThat(prompted.audio().length).isGreaterThanOrEqualTo(frame);
    assertThat(plain.audio().length).isGreaterThanOrEqualTo(frame);
    assertThat(Arrays.copyOf(prompted.audio(), frame))
        .isNotEqualTo(Arrays.copyOf(plain.audio(), frame));
  }

  /** The SDK's first audio for the golden user audio, with the given options. */
  static byte[] sdkAudio(dev.parley.client.ConversationOptions options) throws Exception {
    var out = new java.io.ByteArrayOutputStream();
    try (dev.parley.client.ParleyClient client =
        dev.parley.client.ParleyClient.builder()
            .target("127.0.0.1", server.grpcPort())
            .apiKey(GrpcDialogueTest.KEY)
            .build()) {
      var c =
          client.converse(
              options,
              new dev.parley.client.ConversationListener() {
                @Override
                public void onAudio(byte[] chunk) {
                  synchronized (out) {
                    out.writeBytes(chunk);
                  }
                }
              });
      float[] user = PersonaPlexTiny.userAudio(8);
      c.sendAudio(Pcm.monoToS16le(user, 0, user.length));
      c.endInput();
      c.awaitEnd(java.time.Duration.ofSeconds(60));
    }
    synchronized (out) {
      return out.toByteArray();
    }
  }

  @Test
  void theSdksConversationOptionsCarryThePrompt() throws Exception {
    var base = dev.parley.client.ConversationOptions.builder().greedy().seed(3);
    byte[] plain = sdkAudio(base.build());
    byte[] prompted =
        sdkAudio(base.textPrompt("You are a calm robot.").voicePromptWav(voiceWav).build());
    int frame = 1920 * 2;
    assertThat(plain.length).isGreaterThanOrEqualTo(frame);
    assertThat(prompted.length).isGreaterThanOrEqualTo(frame);
    assertThat(Arrays.copyOf(prompted, frame)).isNotEqualTo(Arrays.copyOf(plain, frame));
  }

  @Test
  void anUnknownVoiceOrNonAudioIsInvalidArgument() throws Exception {
    Status unknown = converse(SessionConfig.newBuilder().setVoiceName("nobody")).done.get();
    assertThat(unknown.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(unknown.getDescription()).contains("unknown voice prompt 'nobody'");
    Status notAudio =
        converse(SessionConfig.newBuilder().setVoiceWav(ByteString.copyFromUtf8("hello")))
            .done
            .get();
    assertThat(notAudio.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(notAudio.getDescription()).contains("not a readable WAV");
  }
}
