package dev.parley.client.cli;

import dev.parley.client.kyutai.KyutaiChatClient;
import dev.parley.client.kyutai.KyutaiChatListener;
import dev.parley.client.kyutai.KyutaiChatOptions;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A chat over Kyutai's /api/chat WebSocket protocol. The protocol has no end of input, so {@link
 * #finish} waits until as much audio has come back as was sent (or the server goes quiet) and then
 * closes.
 */
final class WsVoiceLink implements VoiceLink {
  private static final Duration QUIET = Duration.ofSeconds(3);
  private static final long READY_BYTES = 64 * 1024;

  private final KyutaiChatClient client;
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong lastArrival = new AtomicLong(System.nanoTime());
  private final AtomicReference<String> serverError = new AtomicReference<>();

  WsVoiceLink(URI uri, KyutaiChatOptions options, VoiceSink sink) throws InterruptedException {
    this.client =
        KyutaiChatClient.connect(
            uri,
            options,
            new KyutaiChatListener() {
              @Override
              public void onAudio(float[] pcm24k) {
                received.addAndGet(pcm24k.length);
                lastArrival.set(System.nanoTime());
                sink.onAudio(pcm24k);
              }

              @Override
              public void onText(String piece) {
                sink.onText(piece);
              }

              @Override
              public void onServerError(String message) {
                serverError.set(message);
              }
            });
  }

  @Override
  public void send(float[] pcm24k) {
    client.sendPcm(pcm24k);
  }

  @Override
  public boolean awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (client.bufferedBytes() > READY_BYTES) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(2);
    }
    return true;
  }

  @Override
  public String finish(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long sent = client.samplesSent();
    while (received.get() < sent
        && !client.isClosed()
        && System.nanoTime() < deadline
        && System.nanoTime() - lastArrival.get() < QUIET.toNanos()) {
      Thread.sleep(20);
    }
    client.close();
    String error = serverError.get();
    return String.format(
        "received %.2f s of audio for %.2f s sent%s",
        received.get() / (double) RATE,
        sent / (double) RATE,
        error == null ? "" : "; server error: " + error);
  }

  @Override
  public void close() {
    if (!client.isClosed()) {
      client.close();
    }
  }
}
