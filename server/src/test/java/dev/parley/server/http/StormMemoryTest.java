package dev.parley.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.google.protobuf.ByteString;
import dev.parley.codec.opus.OggOpusWriter;
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
import dev.parley.server.tts.SynthesisModel;
import dev.parley.server.wire.AsrMessages;
import dev.parley.server.wire.ChatProtocol;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

/**
 * Storms of cut sessions (the client vanishes mid-session, no close frame, no half-close) on the
 * three WebSocket routes and gRPC: afterwards every gauge is at zero, the models' managers hold
 * exactly the arrays they held after a first (warm-up) storm, and the direct buffers the HTTP edge
 * uses do not grow from storm to storm. Resident memory (read once it has settled) is printed per
 * storm. The longer local run, {@code -Dparley.storm.perKind=1000 -Dparley.storm.rounds=5}, also
 * checks that it stops growing: after the last storm it is within {@link #RSS_SLACK_PERCENT} % of
 * what it was after the first full one (which is past most of the JIT's warm-up). Run it with
 * {@code JDK_JAVA_OPTIONS=-XX:NativeMemoryTracking=summary} to see the JVM's share by category.
 */
class StormMemoryTest {
  static final int PER_KIND = Integer.getInteger("parley.storm.perKind", 75);
  static final int ROUNDS = Integer.getInteger("parley.storm.rounds", 2);

  /** How much resident memory may still grow from the first full storm to the last (long run). */
  static final int RSS_SLACK_PERCENT = 10;

  /** What the pooled allocator may newly keep between two storms: one chunk of its arenas. */
  static final long DIRECT_SLACK_BYTES = 4 << 20;

  @Test
  void cutSessionsLeaveNoArraysNoGaugesAndNoDirectMemoryGrowth() throws Exception {
    try (SpeechModel dialogue = DemoModel.build(Device.cpu());
        SpeechModel stt = DemoModel.buildStt(Device.cpu());
        SynthesisModel tts = SynthesisModel.demo(Device.cpu())) {
      ParleyServer server =
          new ParleyServer(
                  dialogue,
                  stt,
                  tts,
                  ServerConfig.builder()
                      .host("127.0.0.1")
                      .port(0)
                      .grpcPort(0)
                      .maxSessions(4)
                      .build())
              .start();
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
      try {
        Storm storm = new Storm(server, channel);
        long[] arrays0 = null;
        long direct0 = 0;
        long rss0 = 0;
        long rss1 = 0;
        long rssLast = 0;
        for (int round = 0; round < ROUNDS; round++) {
          int cut = storm.run(round == 0 ? Math.min(PER_KIND, 20) : PER_KIND);
          ChatServerTest.waitFor(
              () -> server.activeSessions() == 0 && server.pendingConnections() == 0, 60_000);
          assertThat(server.activeSessions()).as("sessions after storm %d", round).isZero();
          assertThat(server.pendingConnections()).as("pending after storm %d", round).isZero();
          // A slot claimed on the TTS opener pool for a client already gone is freed just after
          // the gauges read zero: let the counts settle (or reach the first storm's) first.
          long[] reference = arrays0;
          long[] arrays = arrays(dialogue, stt, tts);
          for (int still = 0, i = 0; i < 150 && still < 10; i++) {
            if (reference != null && java.util.Arrays.equals(arrays, reference)) {
              break;
            }
            Thread.sleep(200);
            long[] now = arrays(dialogue, stt, tts);
            still = java.util.Arrays.equals(now, arrays) ? still + 1 : 0;
            arrays = now;
          }
          System.gc();
          long direct = directBytes();
          long rss = settledRssKb();
          String nmt = nativeMemorySummary();
          if (!nmt.isEmpty()) {
            System.out.println("storm " + round + " NMT: " + nmt);
          }
          System.out.printf(
              "storm %d: %d cut sessions (chat, asr, tts, gRPC); arrays %d/%d/%d; "
                  + "Netty direct %d KiB; VmRSS %d kB (%+d kB vs the first storm); heap used %d kB, "
                  + "committed %d kB; VmRSS less committed heap %d kB%n",
              round,
              cut,
              arrays[0],
              arrays[1],
              arrays[2],
              direct >> 10,
              rss,
              round == 0 ? 0 : rss - rss0,
              (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 10,
              Runtime.getRuntime().totalMemory() >> 10,
              rss - (Runtime.getRuntime().totalMemory() >> 10));
          rssLast = rss;
          if (round == 1) {
            rss1 = rss;
          }
          if (round == 0) {
            arrays0 = arrays;
            direct0 = direct;
            rss0 = rss;
          } else {
            assertThat(arrays).as("model arrays after storm %d", round).isEqualTo(arrays0);
            assertThat(direct)
                .as("Netty direct memory after storm %d", round)
                .isLessThanOrEqualTo(direct0 + DIRECT_SLACK_BYTES);
          }
        }
        if (ROUNDS >= 4) {
          assertThat(rssLast)
              .as("VmRSS kB after the last storm against the first full storm's %d kB", rss1)
              .isLessThanOrEqualTo(rss1 + rss1 * RSS_SLACK_PERCENT / 100);
        }
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
      }
    }
  }

  static long[] arrays(SpeechModel dialogue, SpeechModel stt, SynthesisModel tts) {
    return new long[] {
      dialogue.manager().getManagedArrays().size(),
      stt.manager().getManagedArrays().size(),
      tts.manager().getManagedArrays().size()
    };
  }

  static long directBytes() {
    return ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric().usedDirectMemory();
  }

  /** VmRSS once two readings a second apart differ by under 1 % (at most 20 s). */
  static long settledRssKb() throws Exception {
    long last = rssKb();
    for (int i = 0; i < 20; i++) {
      Thread.sleep(1000);
      long now = rssKb();
      if (Math.abs(now - last) * 100 < last) {
        return now;
      }
      last = now;
    }
    return last;
  }

  /**
   * The JVM's own native memory by category (committed KiB), when the JVM runs with
   * -XX:NativeMemoryTracking=summary; empty otherwise. What RSS holds beyond it is malloc outside
   * the JVM's view (libtorch's allocator, glibc's arenas).
   */
  static String nativeMemorySummary() {
    try {
      String out =
          (String)
              java.lang.management.ManagementFactory.getPlatformMBeanServer()
                  .invoke(
                      new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
                      "vmNativeMemory",
                      new Object[] {new String[] {"summary"}},
                      new String[] {String[].class.getName()});
      StringBuilder b = new StringBuilder();
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile(
                  "(?m)^(?:-\\s+)?(\\S[^(\\n]*?)\\s*\\(reserved=\\d+KB, committed=(\\d+)KB\\)")
              .matcher(out);
      while (m.find()) {
        if (Long.parseLong(m.group(2)) >= 1024) {
          b.append(m.group(1).trim())
              .append('=')
              .append(Long.parseLong(m.group(2)) >> 10)
              .append("M ");
        }
      }
      java.util.regex.Matcher total =
          java.util.regex.Pattern.compile("Total: reserved=\\d+KB, committed=(\\d+)KB")
              .matcher(out);
      if (total.find()) {
        b.insert(0, "total=" + (Long.parseLong(total.group(1)) >> 10) + "M ");
      }
      return out.contains("not enabled") ? "" : b.toString().trim();
    } catch (Exception e) {
      return "";
    }
  }

  static long rssKb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  /** Cut sessions of each kind, the four kinds at once. */
  static final class Storm {
    final ParleyServer server;
    final ManagedChannel channel;
    final HttpClient http = HttpClient.newHttpClient();
    final byte[] page;

    Storm(ParleyServer server, ManagedChannel channel) {
      this.server = server;
      this.channel = channel;
      List<byte[]> pages = new ArrayList<>();
      try (OggOpusWriter w = new OggOpusWriter(OggOpusWriter.Options.speech24k(), pages::add)) {
        w.write(ChatServerTest.signal(0.5));
      }
      ByteBuffer all = ByteBuffer.allocate(pages.stream().mapToInt(p -> p.length).sum() + 1);
      all.put(ChatProtocol.AUDIO);
      pages.forEach(all::put);
      this.page = all.array();
    }

    int run(int perKind) throws Exception {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      AtomicInteger cut = new AtomicInteger();
      try {
        List<Future<?>> kinds = new ArrayList<>();
        kinds.add(pool.submit(() -> each(perKind, i -> socket("/api/chat", page, cut))));
        byte[] audio = AsrMessages.encode(new AsrMessages.In.Audio(new float[1920 * 4]));
        kinds.add(pool.submit(() -> each(perKind, i -> socket("/api/asr-streaming", audio, cut))));
        byte[] text = "hello there this is a storm".getBytes(StandardCharsets.UTF_8);
        kinds.add(
            pool.submit(
                () ->
                    each(
                        perKind,
                        i -> socketText("/api/tts_streaming?format=PcmMessagePack", text, cut))));
        kinds.add(pool.submit(() -> each(perKind, i -> converse(cut))));
        for (Future<?> f : kinds) {
          f.get(10, TimeUnit.MINUTES);
        }
      } finally {
        pool.shutdownNow();
      }
      return cut.get();
    }

    static void each(int n, IntConsumer session) {
      for (int i = 0; i < n; i++) {
        session.accept(i);
      }
    }

    /** Opens, waits for the server's first message, sends one message, then vanishes. */
    void socket(String path, byte[] message, AtomicInteger cut) {
      First first = new First();
      WebSocket ws =
          http.newWebSocketBuilder()
              .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + path), first)
              .join();
      first.message.orTimeout(60, TimeUnit.SECONDS).join();
      try {
        ws.sendBinary(ByteBuffer.wrap(message), true).join();
      } catch (RuntimeException refusedAndClosed) {
        // a full server closed it already
      }
      ws.abort();
      cut.incrementAndGet();
    }

    void socketText(String path, byte[] text, AtomicInteger cut) {
      First first = new First();
      WebSocket ws =
          http.newWebSocketBuilder()
              .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + path), first)
              .join();
      first.message.orTimeout(60, TimeUnit.SECONDS).join();
      try {
        ws.sendText(new String(text, StandardCharsets.UTF_8), true).join();
      } catch (RuntimeException refusedAndClosed) {
        // a full server closed it already
      }
      ws.abort();
      cut.incrementAndGet();
    }

    /** A Converse call that sends its config and some audio, then is cancelled. */
    void converse(AtomicInteger cut) {
      CompletableFuture<Void> first = new CompletableFuture<>();
      CompletableFuture<ClientCallStreamObserver<ConverseRequest>> call = new CompletableFuture<>();
      var in =
          DialogueGrpc.newStub(channel)
              .converse(
                  new ClientResponseObserver<ConverseRequest, ConverseResponse>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<ConverseRequest> r) {
                      call.complete(r);
                    }

                    @Override
                    public void onNext(ConverseResponse r) {
                      first.complete(null);
                    }

                    @Override
                    public void onError(Throwable t) {
                      first.complete(null);
                    }

                    @Override
                    public void onCompleted() {
                      first.complete(null);
                    }
                  });
      in.onNext(
          ConverseRequest.newBuilder()
              .setConfig(
                  SessionConfig.newBuilder()
                      .setInputFormat(
                          AudioFormat.newBuilder()
                              .setEncoding(Encoding.PCM_S16LE)
                              .setSampleRateHz(24000)
                              .setChannels(1)))
              .build());
      in.onNext(
          ConverseRequest.newBuilder()
              .setAudio(AudioChunk.newBuilder().setData(ByteString.copyFrom(new byte[3840 * 3])))
              .build());
      first.orTimeout(60, TimeUnit.SECONDS).join();
      call.join().cancel("cut", null);
      cut.incrementAndGet();
    }
  }

  /** Completes on the server's first message (or its close, when it refused: server full). */
  static final class First implements WebSocket.Listener {
    final CompletableFuture<Void> message = new CompletableFuture<>();

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      message.complete(null);
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      message.complete(null);
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
      message.complete(null);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      message.complete(null);
    }
  }
}
