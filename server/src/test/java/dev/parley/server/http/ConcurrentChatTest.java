package dev.parley.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.codec.opus.OggOpusWriter;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.wire.ChatProtocol;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * 8 sessions in real time over WebSockets at once: each one's greedy text stream is exactly what
 * the same input gives when it is the only session (batching changes nothing).
 */
class ConcurrentChatTest {
  static final String GREEDY = "?text_temperature=0&audio_temperature=0";

  static List<byte[]> pages(int session) {
    float[] pcm = new float[(int) (1.6 * 24000)];
    double f = 120 + 35 * session;
    for (int i = 0; i < pcm.length; i++) {
      double env = 0.5 + 0.5 * Math.sin(2 * Math.PI * (3 + session) * i / 24000.0);
      pcm[i] = (float) (0.3 * env * Math.sin(2 * Math.PI * f * i / 24000.0));
    }
    List<byte[]> pages = new ArrayList<>();
    try (OggOpusWriter w = new OggOpusWriter(OggOpusWriter.Options.speech24k(), pages::add)) {
      w.write(pcm);
    }
    return pages;
  }

  /**
   * Runs the given sessions concurrently in real time; returns each one's text messages joined by
   * '|'.
   */
  static List<String> run(ParleyServer server, int[] sessions) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    List<ChatServerTest.Client> clients = new ArrayList<>();
    List<List<byte[]>> inputs = new ArrayList<>();
    for (int s : sessions) {
      ChatServerTest.Client c = new ChatServerTest.Client();
      c.socket =
          http.newWebSocketBuilder()
              .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/api/chat" + GREEDY), c)
              .join();
      clients.add(c);
      inputs.add(pages(s));
    }
    for (ChatServerTest.Client c : clients) {
      ChatServerTest.waitFor(() -> c.messages.size() >= 2, 5000);
    }
    long t0 = System.nanoTime();
    for (int p = 0; p < inputs.get(0).size(); p++) {
      for (int i = 0; i < clients.size(); i++) {
        clients.get(i).sendKind(ChatProtocol.AUDIO, inputs.get(i).get(p));
      }
      long wait = t0 + (long) ((p + 1) * 80e6) - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000);
      }
    }
    int frames = (int) (1.6 * 24000) / 1920;
    for (ChatServerTest.Client c : clients) {
      ChatServerTest.waitFor(() -> ChatServerTest.decodedSamples(c) >= (frames - 3) * 1920, 15_000);
    }
    Thread.sleep(300);
    List<String> texts = new ArrayList<>();
    for (ChatServerTest.Client c : clients) {
      StringBuilder sb = new StringBuilder();
      for (byte[] m : c.ofKind(ChatProtocol.TEXT)) {
        sb.append(new String(m, 1, m.length - 1, StandardCharsets.UTF_8)).append('|');
      }
      texts.add(sb.toString());
      c.socket.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "bye").join();
      assertThat(c.ofKind(ChatProtocol.ERROR)).isEmpty();
    }
    ChatServerTest.waitFor(() -> server.engine().activeSessions() == 0, 15_000);
    return texts;
  }

  @Test
  void eightConcurrentSessionsEachGetWhatTheyGetAlone() throws Exception {
    try (SpeechModel model = DemoModel.build(Device.cpu());
        ParleyServer server =
            new ParleyServer(
                    model,
                    ServerConfig.defaults()
                        .withHost("127.0.0.1")
                        .withPort(0)
                        .withGrpcPort(0)
                        .withMaxSessions(8))
                .start()) {
      int[] all = {0, 1, 2, 3, 4, 5, 6, 7};
      List<String> together = run(server, all);
      long steps = server.engine().steps();
      assertThat(String.join("", together)).as("the demo model printed some text").isNotEmpty();
      for (int s : all) {
        assertThat(run(server, new int[] {s}).get(0))
            .as("session %d", s)
            .isEqualTo(together.get(s));
      }
      assertThat(steps).as("the 8 sessions shared steps").isLessThan(8L * 20);
    }
  }
}
