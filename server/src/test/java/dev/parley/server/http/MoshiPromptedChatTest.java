package dev.parley.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code /api/chat?text_prompt=…} on a real server with the demo (Moshi) model: experimental. */
class MoshiPromptedChatTest {
  static SpeechModel model;
  static ParleyServer server;

  @BeforeAll
  static void start() throws Exception {
    model = DemoModel.build(Device.cpu());
    server =
        new ParleyServer(
                model,
                ServerConfig.defaults()
                    .withHost("127.0.0.1")
                    .withPort(0)
                    .withGrpcPort(0)
                    .withMaxSessions(2))
            .start();
  }

  @AfterAll
  static void stop() {
    server.close();
    model.close();
  }

  static JsonNode get(String path) throws Exception {
    HttpResponse<String> r =
        ChatServerTest.HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return new ObjectMapper().readTree(r.body());
  }

  @Test
  void infoAndPromptVoicesSayPromptsAreExperimental() throws Exception {
    for (JsonNode p : new JsonNode[] {get("/api/prompt_voices"), get("/api/info").get("prompts")}) {
      assertThat(p.get("accepts_prompts").asBoolean()).isTrue();
      assertThat(p.get("prompts").get("text").asBoolean()).isTrue();
      assertThat(p.get("prompts").get("voice").asBoolean()).isTrue();
      assertThat(p.get("prompts").get("experimental").asBoolean()).isTrue();
    }
  }

  @Test
  void aPromptedSessionSoundsDifferentFromAnUnpromptedOneWithTheSameSeed() throws Exception {
    String prompt = URLEncoder.encode("You are a pirate.", StandardCharsets.UTF_8);
    // The handshake comes once the prefill is done, then the conversation's audio.
    float[] prompted =
        PromptedChatTest.firstAudio(server, "?text_prompt=" + prompt + "&text_seed=7", 4);
    float[] plain = PromptedChatTest.firstAudio(server, "?text_seed=7", 4);
    float[] again =
        PromptedChatTest.firstAudio(server, "?text_prompt=" + prompt + "&text_seed=7", 4);
    assertThat(prompted).isNotEqualTo(plain);
    assertThat(again).as("same prompt and seed: same audio").isEqualTo(prompted);
  }
}
