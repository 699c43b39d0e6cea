package dev.parley.client.cli;

import dev.parley.client.Conversation;
import dev.parley.client.ConversationListener;
import dev.parley.client.ConversationOptions;
import dev.parley.client.ParleyClient;
import dev.parley.client.audio.PcmDecoder;
import dev.parley.proto.v1.End;
import dev.parley.proto.v1.SessionInfo;
import dev.parley.proto.v1.TextPiece;
import java.time.Duration;

/** A chat over gRPC: PCM_S16LE 24 kHz both ways. */
final class GrpcVoiceLink implements VoiceLink {
  private final Conversation conversation;

  GrpcVoiceLink(ParleyClient client, ConversationOptions options, VoiceSink sink) {
    PcmDecoder decoder = new PcmDecoder(options.outputFormat());
    this.conversation =
        client.converse(
            options,
            new ConversationListener() {
              @Override
              public void onAudio(byte[] chunk) {
                sink.onAudio(decoder.decode(chunk));
              }

              @Override
              public void onText(TextPiece text) {
                sink.onText(text.getText());
              }
            });
  }

  @Override
  public void send(float[] pcm24k) {
    conversation.sendAudio(pcm24k);
  }

  @Override
  public boolean awaitReady(Duration timeout) throws InterruptedException {
    return conversation.awaitReady(timeout);
  }

  @Override
  public String finish(Duration timeout) throws InterruptedException {
    conversation.endInput();
    End end = conversation.awaitEnd(timeout);
    SessionInfo s = conversation.session();
    return String.format(
        "session %s on %s: %d input frames, %d output frames, %d deadline %s",
        s == null ? "?" : s.getSessionId(),
        s == null ? "?" : s.getModel(),
        end.getInputFrames(),
        end.getFrames(),
        end.getDeadlineMisses(),
        end.getDeadlineMisses() == 1 ? "miss" : "misses");
  }

  @Override
  public void close() {
    conversation.close();
  }
}
