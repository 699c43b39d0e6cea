package dev.parley.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.wire.ChatProtocol;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Shutdown stops new sessions, lets running ones go on for the grace period, then tells them. */
class GracefulShutdownTest {
  @Test
  void runningSessionsGetTheGraceThenAMessage() throws Exception {
    try (SpeechModel model = DemoModel.build(Device.cpu())) {
      ParleyServer server =
          new ParleyServer(
                  model,
                  ServerConfig.defaults()
                      .withHost("127.0.0.1")
                      .withPort(0)
                      .withGrpcPort(0)
                      .withDrainTime(Duration.ofMillis(800)))
              .start();
      ChatServerTest.Client c = new ChatServerTest.Client();
      c.socket =
          HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/api/chat"), c)
              .join();
      ChatServerTest.waitFor(() -> c.messages.size() >= 2, 5000);
      long t0 = System.nanoTime();
      CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::shutdown);
      // The goodbye is written before the event loops stop: a policy close with the reason, not
      // a dropped connection (1006).
      assertThat(c.closed.get(10, TimeUnit.SECONDS)).startsWith("1008 ").contains("shutting down");
      long waitedMs = (System.nanoTime() - t0) / 1_000_000;
      assertThat(waitedMs)
          .as("the session ran through the grace period")
          .isGreaterThanOrEqualTo(700);
      assertThat(c.ofKind(ChatProtocol.ERROR))
          .extracting(m -> new String(m, 1, m.length - 1, StandardCharsets.UTF_8))
          .anySatisfy(m -> assertThat(m).contains("server shutting down"));
      stopping.get(10, TimeUnit.SECONDS);
      assertThat(server.engine().activeSessions()).isZero();
    }
  }
}
