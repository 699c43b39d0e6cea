package dev.parley.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.server.config.ServerConfig;
import dev.parley.server.metrics.EngineMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --static DIR} replaces the built-in web app at {@code /}: the folder's files are served,
 * the app's are not. A real HTTP port with no engines behind it.
 */
class StaticDirTest {
  @Test
  void aStaticFolderReplacesTheBuiltInApp(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("index.html"), "<p>my own page</p>");
    Files.writeString(dir.resolve("mine.js"), "export {};");
    ServerConfig config =
        ServerConfig.defaults().withHost("127.0.0.1").withPort(0).withGrpcPort(-1).withStatic(dir);
    try (HttpFrontEnd http =
        new HttpFrontEnd(
                null,
                null,
                null,
                config,
                new EngineMetrics(),
                () -> true,
                () -> true,
                () -> 0,
                Map.of("server", "parley/test", "services", java.util.List.of()))
            .bind()) {
      HttpClient client = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + http.port();
      HttpResponse<String> index =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "/")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(index.statusCode()).isEqualTo(200);
      assertThat(index.body()).isEqualTo("<p>my own page</p>");
      assertThat(
              client
                  .send(
                      HttpRequest.newBuilder(URI.create(base + "/mine.js")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode())
          .isEqualTo(200);
      assertThat(
              client
                  .send(
                      HttpRequest.newBuilder(URI.create(base + "/js/main.js")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode())
          .as("the built-in app is not mixed in")
          .isEqualTo(404);
    }
  }
}
