package dev.parley.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.google.protobuf.ByteString;
import dev.parley.codec.opus.OggOpusReader;
import dev.parley.codec.opus.OggOpusWriter;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.wav.WavReader;
import dev.parley.proto.v1.AudioChunk;
import dev.parley.proto.v1.AudioFormat;
import dev.parley.proto.v1.ConverseRequest;
import dev.parley.proto.v1.ConverseResponse;
import dev.parley.proto.v1.DialogueGrpc;
import dev.parley.proto.v1.Encoding;
import dev.parley.proto.v1.SamplingParams;
import dev.parley.proto.v1.SessionConfig;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inside the server a gRPC session and a WebSocket session are the same thing: the same seed and
 * input give the same text and the same audio on both transports (sampling on, not greedy).
 */
class TransportParityTest {
  static final long SEED = 4242;

  @Test
  void sameSeedAndInputGiveTheSameTokensOverGrpcAndWebSocket(@TempDir Path dir) throws Exception {
    Path wav = ExternalTools.speechWav(dir, "Is this the same over both transports?", 24000);
    float[] speech = WavReader.read(wav).samples();
    List<byte[]> pages = new ArrayList<>();
    try (OggOpusWriter w = new OggOpusWriter(OggOpusWriter.Options.speech24k(), pages::add)) {
      w.write(speech);
    }
    try (SpeechModel model = DemoModel.build(Device.cpu());
        ParleyServer server =
            new ParleyServer(
                    model,
                    ServerConfig.builder()
                        .host("127.0.0.1")
                        .port(0)
                        .grpcPort(0)
                        .maxSessions(2)
                        .build())
                .start()) {
      // WebSocket first, in real time as Kyutai's web client sends.
      List<String> wsText = new CopyOnWriteArrayList<>();
      ByteArrayOutputStream wsOgg = new ByteArrayOutputStream();
      WebSocket ws =
          HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .buildAsync(
                  URI.create("ws://127.0.0.1:" + server.port() + "/api/chat?text_seed=" + SEED),
                  new WebSocket.Listener() {
                    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

                    @Override
                    public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
                      byte[] b = new byte[data.remaining()];
                      data.get(b);
                      partial.writeBytes(b);
                      if (last) {
                        byte[] m = partial.toByteArray();
                        partial.reset();
                        if (m[0] == 1) {
                          synchronized (wsOgg) {
                            wsOgg.write(m, 1, m.length - 1);
                          }
                        } else if (m[0] == 2) {
                          wsText.add(new String(m, 1, m.length - 1, StandardCharsets.UTF_8));
                        }
                      }
                      w.request(1);
                      return null;
                    }
                  })
              .join();
      long t0 = System.nanoTime();
      for (int i = 0; i < pages.size(); i++) {
        byte[] msg = new byte[pages.get(i).length + 1];
        msg[0] = 1;
        System.arraycopy(pages.get(i), 0, msg, 1, msg.length - 1);
        ws.sendBinary(ByteBuffer.wrap(msg), true).join();
        long wait = t0 + (long) ((i + 1) * 80e6) - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000);
        }
      }
      int frames = speech.length / 1920;
      long deadline = System.currentTimeMillis() + 15_000;
      while (decodedLength(wsOgg) < (frames - 3) * 1920 && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();

      // gRPC: the same Ogg pages, as fast as flow control allows.
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
      List<String> grpcText = new CopyOnWriteArrayList<>();
      ByteArrayOutputStream grpcOgg = new ByteArrayOutputStream();
      CompletableFuture<Void> done = new CompletableFuture<>();
      StreamObserver<ConverseRequest> in =
          DialogueGrpc.newStub(channel)
              .converse(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(ConverseResponse r) {
                      if (r.hasAudio()) {
                        grpcOgg.writeBytes(r.getAudio().getData().toByteArray());
                      } else if (r.hasText()) {
                        grpcText.add(r.getText().getText());
                      }
                    }

                    @Override
                    public void onError(Throwable t) {
                      done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                      done.complete(null);
                    }
                  });
      AudioFormat ogg =
          AudioFormat.newBuilder().setEncoding(Encoding.OGG_OPUS).setSampleRateHz(24000).build();
      in.onNext(
          ConverseRequest.newBuilder()
              .setConfig(
                  SessionConfig.newBuilder()
                      .setInputFormat(ogg)
                      .setOutputFormat(ogg)
                      .setSampling(SamplingParams.newBuilder().setSeed(SEED)))
              .build());
      for (byte[] page : pages) {
        in.onNext(
            ConverseRequest.newBuilder()
                .setAudio(AudioChunk.newBuilder().setData(ByteString.copyFrom(page)))
                .build());
      }
      in.onCompleted();
      done.get(60, TimeUnit.SECONDS);
      channel.shutdownNow();

      assertThat(wsText).as("text pieces over WebSocket").isNotEmpty();
      // The WebSocket client hung up once it had its frames; gRPC ran to the end of input.
      assertThat(grpcText.subList(0, wsText.size())).isEqualTo(wsText);
      float[] a = decode(wsOgg.toByteArray());
      float[] b = decode(grpcOgg.toByteArray());
      int n = (frames - 4) * 1920;
      assertThat(Arrays.copyOf(b, n)).as("the same audio").containsExactly(Arrays.copyOf(a, n));
    }
  }

  static int decodedLength(ByteArrayOutputStream ogg) {
    synchronized (ogg) {
      return decode(ogg.toByteArray()).length;
    }
  }

  static float[] decode(byte[] ogg) {
    List<float[]> parts = new ArrayList<>();
    OggOpusReader r =
        new OggOpusReader(
            24000, (pcm, off, len) -> parts.add(Arrays.copyOfRange(pcm, off, off + len)));
    try {
      r.feed(ogg);
    } catch (dev.parley.codec.audio.AudioFormatException e) {
      throw new AssertionError(e);
    }
    int total = parts.stream().mapToInt(p -> p.length).sum();
    float[] all = new float[total];
    int at = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }
}
