package dev.parley.server.openai;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.wav.WavReader;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/realtime} speech to speech on the demo dialogue model: the client talks in real time
 * and the model's responses stream back as audio and transcript deltas.
 */
class RealtimeDialogueTest {
  static SpeechModel dialogue;
  static ParleyServer server;

  @BeforeAll
  static void start() throws Exception {
    dialogue = DemoModel.build(Device.cpu());
    server =
        new ParleyServer(
                dialogue,
                ServerConfig.builder()
                    .host("127.0.0.1")
                    .port(0)
                    .grpcPort(-1)
                    .maxSessions(1)
                    .build())
            .start();
  }

  @AfterAll
  static void stop() {
    server.close();
    dialogue.close();
  }

  @Test
  void theModelsSpeechComesBackAsResponsesOfAudioDeltas(@TempDir Path dir) throws Exception {
    float[] speech =
        WavReader.read(ExternalTools.speechWav(dir, "Hello there, how are you today?", 24000))
            .samples();
    RealtimeTranscriptionTest.Client c = new RealtimeTranscriptionTest.Client();
    c.ws =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .buildAsync(
                URI.create("ws://127.0.0.1:" + server.port() + "/v1/realtime?model=gpt-realtime"),
                c)
            .join();
    try {
      c.await("session.created", 1);
      c.send("{\"type\": \"session.update\", \"session\": {\"instructions\": \"be brief\"}}");
      c.await("session.updated", 1);
      assertThat(c.of("session.updated").get(0).path("ignored").toString())
          .contains("instructions");
      c.send("not json");
      c.send("{\"type\": \"conversation.item.nothing\"}");
      c.send("{\"type\": \"input_audio_buffer.append\", \"audio\": \"***\"}");
      c.send(
          "{\"type\": \"session.update\", \"session\": {\"audio\": {\"input\": {\"format\":"
              + " {\"type\": \"audio/pcmu\"}}}}}");
      c.await("error", 4);

      int piece = 1920;
      long t0 = System.nanoTime();
      for (int i = 0; i < speech.length; i += piece) {
        c.send(RealtimeTranscriptionTest.append(speech, i, Math.min(speech.length, i + piece)));
        long wait = t0 + (long) ((i + piece) / 24000.0 * 1e9) - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000);
        }
      }
      c.await("response.output_audio.delta", 5);
      c.send("{\"type\": \"response.cancel\"}");
      c.await("response.done", 1);

      Set<String> created = new HashSet<>();
      for (JsonNode e : c.of("response.created")) {
        created.add(e.path("response").path("id").asText());
      }
      assertThat(created).isNotEmpty();
      List<JsonNode> audio = c.of("response.output_audio.delta");
      for (JsonNode d : audio) {
        assertThat(created).contains(d.path("response_id").asText());
        byte[] pcm = Base64.getDecoder().decode(d.path("delta").asText());
        assertThat(pcm.length).isEqualTo(1920 * 2); // one 80 ms frame of pcm16 at 24 kHz
      }
      for (JsonNode d : c.of("response.output_audio_transcript.delta")) {
        assertThat(created).contains(d.path("response_id").asText());
        assertThat(d.path("delta").asText()).isNotEmpty();
      }
      assertThat(c.of("response.done").get(0).path("response").path("status").asText())
          .isIn("completed", "cancelled");
      System.out.printf(
          "speech to speech: %d responses, %d audio deltas, %d transcript deltas%n",
          created.size(), audio.size(), c.of("response.output_audio_transcript.delta").size());
    } finally {
      c.ws.abort();
    }
  }
}
