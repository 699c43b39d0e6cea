package dev.parley.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.codec.opus.OggOpusWriter;
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
import dev.parley.server.tts.SynthesisModel;
import dev.parley.server.wire.ChatProtocol;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

/**
 * A drain, as SIGTERM starts it: at once {@code /readyz} is 503 and every transport refuses a new
 * session saying "draining" in its own protocol, while a live session goes on until the drain time
 * ends it with a message. The engines report their slots as {@code *_sessions_capacity}.
 */
class DrainTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void drainRefusesNewSessionsEverywhereAndLetsLiveOnesFinish() throws Exception {
    try (SpeechModel dialogue = DemoModel.build(Device.cpu());
        SpeechModel stt = DemoModel.buildStt(Device.cpu());
        SynthesisModel tts = SynthesisModel.demo(Device.cpu())) {
      ParleyServer server =
          new ParleyServer(
                  dialogue,
                  stt,
                  tts,
                  ServerConfig.defaults()
                      .withHost("127.0.0.1")
                      .withPort(0)
                      .withGrpcPort(0)
                      .withMaxSessions(3)
                      .withDrainTime(Duration.ofSeconds(4)))
              .start();
      String base = "127.0.0.1:" + server.port();
      assertThat(get("http://" + base + "/readyz").statusCode()).isEqualTo(200);
      Map<String, Double> metrics = scrape("http://" + base + "/metrics");
      assertThat(metrics)
          .containsEntry("parley_sessions_capacity", 3.0)
          .containsEntry("parley_stt_sessions_capacity", 3.0)
          .containsEntry("parley_tts_sessions_capacity", 3.0);

      ChatServerTest.Client live = chat(base);
      ChatServerTest.waitFor(() -> live.messages.size() >= 2, 10_000);
      assertThat(live.ofKind(ChatProtocol.HANDSHAKE)).hasSize(1);
      assertThat(scrape("http://" + base + "/metrics"))
          .containsEntry("parley_sessions_active", 1.0);

      CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::shutdown);
      ChatServerTest.waitFor(server::isDraining, 5_000);

      assertThat(get("http://" + base + "/readyz").statusCode()).isEqualTo(503);

      ChatServerTest.Client refused = chat(base);
      assertThat(refused.closed.get(10, TimeUnit.SECONDS)).contains("draining");
      assertThat(refused.ofKind(ChatProtocol.HANDSHAKE)).isEmpty();
      assertThat(text(refused.ofKind(ChatProtocol.ERROR).get(0))).contains("draining");

      assertThat(msgpackError(socket("ws://" + base + "/api/asr-streaming"))).contains("draining");
      assertThat(msgpackError(socket("ws://" + base + "/api/tts_streaming?format=PcmMessagePack")))
          .contains("draining");

      Status grpc = converseStatus(server.grpcPort());
      assertThat(grpc.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(grpc.getDescription()).contains("draining");

      // The live session still gets answers for the audio it sends after the drain began.
      int before = live.ofKind(ChatProtocol.AUDIO).size();
      List<byte[]> pages = new ArrayList<>();
      try (OggOpusWriter w = new OggOpusWriter(OggOpusWriter.Options.speech24k(), pages::add)) {
        w.write(new float[24_000]);
      }
      for (byte[] p : pages) {
        live.sendKind(ChatProtocol.AUDIO, p);
        Thread.sleep(80);
      }
      ChatServerTest.waitFor(() -> live.ofKind(ChatProtocol.AUDIO).size() > before + 2, 10_000);
      assertThat(live.ofKind(ChatProtocol.AUDIO).size()).isGreaterThan(before + 2);
      assertThat(live.closed).isNotDone();

      // At the end of the drain time the session is closed with a message, and the server stops.
      assertThat(live.closed.get(20, TimeUnit.SECONDS)).isNotNull();
      List<byte[]> errors = live.ofKind(ChatProtocol.ERROR);
      assertThat(text(errors.get(errors.size() - 1))).contains("drain time is over");
      stopping.get(20, TimeUnit.SECONDS);
      assertThat(server.activeSessions()).isZero();
    }
  }

  private static ChatServerTest.Client chat(String base) {
    ChatServerTest.Client c = new ChatServerTest.Client();
    c.socket =
        HTTP.newWebSocketBuilder().buildAsync(URI.create("ws://" + base + "/api/chat"), c).join();
    return c;
  }

  private static ChatServerTest.Client socket(String uri) throws Exception {
    ChatServerTest.Client c = new ChatServerTest.Client();
    c.socket = HTTP.newWebSocketBuilder().buildAsync(URI.create(uri), c).join();
    c.closed.get(10, TimeUnit.SECONDS);
    return c;
  }

  /** The message of the MessagePack {@code Error} the socket got (decoded with msgpack-core). */
  private static String msgpackError(ChatServerTest.Client c) throws Exception {
    for (byte[] m : c.messages) {
      try (MessageUnpacker u = MessagePack.newDefaultUnpacker(m)) {
        int n = u.unpackMapHeader();
        String type = null;
        String message = null;
        for (int i = 0; i < n; i++) {
          String key = u.unpackString();
          if (key.equals("type") || key.equals("message")) {
            String v = u.unpackString();
            type = key.equals("type") ? v : type;
            message = key.equals("message") ? v : message;
          } else {
            u.skipValue();
          }
        }
        if ("Error".equals(type)) {
          return message;
        }
      }
    }
    throw new AssertionError("no Error message among " + c.messages.size());
  }

  private static Status converseStatus(int port) throws Exception {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      CompletableFuture<Status> done = new CompletableFuture<>();
      StreamObserver<ConverseRequest> in =
          DialogueGrpc.newStub(channel)
              .converse(
                  new StreamObserver<ConverseResponse>() {
                    @Override
                    public void onNext(ConverseResponse r) {}

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
          ConverseRequest.newBuilder()
              .setConfig(SessionConfig.newBuilder().setInputFormat(pcm24k()))
              .build());
      return done.get(10, TimeUnit.SECONDS);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static AudioFormat pcm24k() {
    return AudioFormat.newBuilder()
        .setEncoding(Encoding.PCM_S16LE)
        .setSampleRateHz(24_000)
        .setChannels(1)
        .build();
  }

  private static String text(byte[] kindAndPayload) {
    return new String(kindAndPayload, 1, kindAndPayload.length - 1, StandardCharsets.UTF_8);
  }

  private static HttpResponse<String> get(String uri) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(uri)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The unlabelled samples of a Prometheus text exposition. */
  private static Map<String, Double> scrape(String uri) throws Exception {
    Map<String, Double> out = new java.util.HashMap<>();
    for (String line : get(uri).body().split("\n")) {
      if (!line.startsWith("#") && !line.contains("{")) {
        String[] f = line.trim().split(" ");
        if (f.length == 2) {
          out.put(f[0], Double.parseDouble(f[1]));
        }
      }
    }
    return out;
  }
}
