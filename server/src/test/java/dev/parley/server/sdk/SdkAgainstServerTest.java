package dev.parley.server.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.parley.client.Conversation;
import dev.parley.client.ConversationListener;
import dev.parley.client.ConversationOptions;
import dev.parley.client.ParleyClient;
import dev.parley.client.ParleyException;
import dev.parley.client.kyutai.KyutaiChatClient;
import dev.parley.client.kyutai.KyutaiChatListener;
import dev.parley.client.kyutai.KyutaiChatOptions;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.wav.WavReader;
import dev.parley.proto.v1.End;
import dev.parley.proto.v1.ModelInfo;
import dev.parley.proto.v1.ModelType;
import dev.parley.proto.v1.TextPiece;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ApiKeys;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java SDK against the real server: gRPC conversations and the Kyutai /api/chat client. */
class SdkAgainstServerTest {
  static final String KEY = "sdk-key";
  static SpeechModel model;
  static ParleyServer server;

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
  }

  @AfterAll
  static void stop() {
    server.close();
    model.close();
  }

  static float[] speech(Path dir) throws Exception {
    return WavReader.read(ExternalTools.speechWav(dir, "Hello from the Java SDK.", 24000))
        .samples();
  }

  @Test
  void aGrpcConversationThroughTheSdk(@TempDir Path dir) throws Exception {
    float[] pcm = speech(dir);
    ByteArrayOutputStream reply = new ByteArrayOutputStream();
    List<TextPiece> text = new CopyOnWriteArrayList<>();
    try (ParleyClient client =
        ParleyClient.builder().target("127.0.0.1", server.grpcPort()).apiKey(KEY).build()) {
      List<ModelInfo> models = client.models();
      assertThat(models).extracting(ModelInfo::getType).containsExactly(ModelType.DIALOGUE);
      Conversation c =
          client.converse(
              ConversationOptions.builder().seed(42).build(),
              new ConversationListener() {
                @Override
                public void onAudio(byte[] chunk) {
                  synchronized (reply) {
                    reply.writeBytes(chunk);
                  }
                }

                @Override
                public void onText(TextPiece t) {
                  text.add(t);
                }
              });
      for (int i = 0; i < pcm.length; i += 1920) {
        c.sendAudio(Arrays.copyOfRange(pcm, i, Math.min(pcm.length, i + 1920)));
      }
      c.endInput();
      End end = c.awaitEnd(Duration.ofSeconds(60));
      int inputFrames = (pcm.length + 1919) / 1920;
      assertThat(end.getInputFrames()).isEqualTo(inputFrames);
      assertThat(end.getFrames()).isEqualTo(inputFrames - 1);
      assertThat(c.session().getModel()).isEqualTo("demo");
      assertThat(c.session().getSampling().getSeed()).isEqualTo(42);
      // 24 kHz s16le: the reply is as long as the frames produced (the encoder holds nothing back).
      assertThat(reply.size() / 2).isEqualTo((int) end.getFrames() * 1920);
      for (TextPiece t : text) {
        assertThat(t.getTimeMs()).isEqualTo(t.getFrameIndex() * 80);
      }
    }
  }

  @Test
  void theSdkSurfacesAWrongKeyAndAFullServerAsParleyExceptions() throws Exception {
    try (ParleyClient wrong =
        ParleyClient.builder().target("127.0.0.1", server.grpcPort()).apiKey("nope").build()) {
      assertThatThrownBy(wrong::models)
          .isInstanceOf(ParleyException.class)
          .satisfies(e -> assertThat(((ParleyException) e).code()).isEqualTo("UNAUTHENTICATED"));
    }
    try (ParleyClient client =
        ParleyClient.builder().target("127.0.0.1", server.grpcPort()).apiKey(KEY).build()) {
      Conversation a =
          client.converse(ConversationOptions.defaults(), new ConversationListener() {});
      Conversation b =
          client.converse(ConversationOptions.defaults(), new ConversationListener() {});
      a.sendAudio(new float[1920]);
      b.sendAudio(new float[1920]);
      long end = System.currentTimeMillis() + 10_000;
      while (server.engine().activeSessions() < 2 && System.currentTimeMillis() < end) {
        Thread.sleep(10);
      }
      Conversation third =
          client.converse(ConversationOptions.defaults(), new ConversationListener() {});
      assertThatThrownBy(() -> third.awaitEnd(Duration.ofSeconds(10)))
          .isInstanceOf(ParleyException.class)
          .satisfies(e -> assertThat(((ParleyException) e).code()).isEqualTo("RESOURCE_EXHAUSTED"))
          .hasMessageContaining("server full");
      a.cancel();
      b.cancel();
      end = System.currentTimeMillis() + 10_000;
      while (server.engine().activeSessions() > 0 && System.currentTimeMillis() < end) {
        Thread.sleep(10);
      }
      assertThat(server.engine().activeSessions()).as("cancelling frees the slots").isZero();
    }
  }

  @Test
  void theSdksKyutaiClientTalksToParleysApiChat(@TempDir Path dir) throws Exception {
    float[] pcm = speech(dir);
    AtomicInteger samples = new AtomicInteger();
    List<String> metadata = new CopyOnWriteArrayList<>();
    List<String> errors = new CopyOnWriteArrayList<>();
    KyutaiChatClient client =
        KyutaiChatClient.connect(
            URI.create("ws://127.0.0.1:" + server.port() + "/api/chat"),
            KyutaiChatOptions.builder().apiKey(KEY).seed(7).build(),
            new KyutaiChatListener() {
              @Override
              public void onAudio(float[] pcm24k) {
                samples.addAndGet(pcm24k.length);
              }

              @Override
              public void onMetadata(String json) {
                metadata.add(json);
              }

              @Override
              public void onServerError(String message) {
                errors.add(message);
              }
            });
    assertThat(client.handshakePayload()).isNotNull();
    long t0 = System.nanoTime();
    int frames = 0;
    for (int i = 0; i < pcm.length; i += 1920, frames++) { // real time, as a microphone
      client.sendPcm(Arrays.copyOfRange(pcm, i, Math.min(pcm.length, i + 1920)));
      long wait = t0 + (frames + 1) * 80_000_000L - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000);
      }
    }
    int expected = (pcm.length / 1920 - 3) * 1920;
    long end = System.currentTimeMillis() + 15_000;
    while (samples.get() < expected && System.currentTimeMillis() < end) {
      Thread.sleep(20);
    }
    client.close();
    assertThat(samples.get()).isGreaterThanOrEqualTo(expected);
    assertThat(metadata).hasSize(1);
    assertThat(metadata.get(0)).contains("\"seed\":7");
    assertThat(errors).isEmpty();
  }
}
