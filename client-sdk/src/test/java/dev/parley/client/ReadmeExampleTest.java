package dev.parley.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.client.testing.FakeParleyServer;
import dev.parley.proto.v1.End;
import dev.parley.proto.v1.TextPiece;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The README's example, verbatim between the markers, run against the echo server. */
class ReadmeExampleTest {

  @Test
  void theReadmeExampleRuns() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.echo()) {
      String target = server.target();
      String apiKey = "any";
      float[] pcm24k = new float[24000];
      ByteArrayOutputStream reply = new ByteArrayOutputStream();
      // --- README example ---
      try (ParleyClient client = ParleyClient.builder().target(target).apiKey(apiKey).build()) {
        Conversation c =
            client.converse(
                ConversationOptions.builder().seed(42).build(),
                new ConversationListener() {
                  @Override
                  public void onAudio(byte[] chunk) {
                    reply.writeBytes(chunk);
                  } // 24 kHz s16le mono

                  @Override
                  public void onText(TextPiece t) {
                    System.out.print(t.getText());
                  }
                });
        for (int i = 0; i < pcm24k.length; i += 1920) { // 80 ms at a time
          c.sendAudio(java.util.Arrays.copyOfRange(pcm24k, i, Math.min(pcm24k.length, i + 1920)));
        }
        c.endInput();
        End end = c.awaitEnd(Duration.ofSeconds(30)); // throws ParleyException on failure
        System.out.println(
            "\n" + end.getFrames() + " frames, " + end.getDeadlineMisses() + " deadline misses");
      }
      // --- end ---
      assertThat(reply.size()).isEqualTo(2 * pcm24k.length);
    }
  }
}
