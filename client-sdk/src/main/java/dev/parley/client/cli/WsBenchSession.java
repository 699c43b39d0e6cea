package dev.parley.client.cli;

import dev.parley.client.kyutai.KyutaiChatClient;
import dev.parley.client.kyutai.KyutaiChatException;
import dev.parley.client.kyutai.KyutaiChatListener;
import dev.parley.client.kyutai.KyutaiChatOptions;
import dev.parley.codec.audio.ModelAudio;
import java.net.URI;

/**
 * One benchmark chat over /api/chat. The protocol carries no timing and no frame count, so it
 * yields what a client can see: time to the first reply audio, output audio, real-time factor.
 */
final class WsBenchSession {
  private final KyutaiChatClient client;
  private volatile String error;
  private long firstSend;
  private long firstAudio;
  private long streamEnd;
  private long samplesAtStreamEnd;
  private long outSamples;
  private long lastArrival;
  private long textPieces;

  WsBenchSession(URI uri, KyutaiChatOptions options) throws InterruptedException {
    this.client =
        KyutaiChatClient.connect(
            uri,
            options,
            new KyutaiChatListener() {
              @Override
              public void onAudio(float[] pcm) {
                arrived(pcm.length, System.nanoTime());
              }

              @Override
              public void onText(String piece) {
                synchronized (WsBenchSession.this) {
                  textPieces++;
                }
              }

              @Override
              public void onServerError(String message) {
                error = "server error: " + message;
              }

              @Override
              public void onFailure(Throwable e) {
                error = String.valueOf(e.getMessage());
              }
            });
  }

  void send(float[] frame) {
    if (error != null || client.isClosed()) {
      return;
    }
    synchronized (this) {
      if (firstSend == 0) {
        firstSend = System.nanoTime();
      }
    }
    try {
      client.sendPcm(frame);
    } catch (KyutaiChatException e) {
      error = e.getMessage();
    }
  }

  /**
   * Waits until the reply has caught up with the input, has stopped coming for a second, or {@code
   * deadlineNanos} (one deadline shared by every session, so they wait together), then closes. The
   * model's reply lags its input by one frame (its acoustic delay), and the last Ogg Opus page may
   * stay in the server's encoder, so the reply may never fully catch up.
   */
  void finish(long deadlineNanos) throws InterruptedException {
    long expected = client.samplesSent() - ModelAudio.FRAME_SAMPLES;
    while (System.nanoTime() < deadlineNanos
        && !client.isClosed()
        && outSamples() < expected
        && System.nanoTime() - lastActivity() < QUIET_NANOS) {
      Thread.sleep(20);
    }
    client.close();
  }

  /** No reply audio for this long after the input ended: the reply is over. */
  private static final long QUIET_NANOS = 1_000_000_000L;

  private synchronized long lastActivity() {
    return Math.max(lastArrival, streamEnd);
  }

  private synchronized void arrived(int samples, long now) {
    if (firstAudio == 0) {
      firstAudio = now;
    }
    outSamples += samples;
    lastArrival = now;
  }

  String error() {
    return error;
  }

  synchronized long outSamples() {
    return outSamples;
  }

  long inSamples() {
    return client.samplesSent();
  }

  synchronized long textPieces() {
    return textPieces;
  }

  /** Milliseconds from the first audio sent to the first audio back; NaN if none came. */
  synchronized double firstAudioMs() {
    return firstAudio == 0 ? Double.NaN : (firstAudio - firstSend) / 1e6;
  }

  /** Notes the end of streaming: the real-time factor counts audio received up to here. */
  synchronized void markStreamEnd() {
    streamEnd = System.nanoTime();
    samplesAtStreamEnd = outSamples;
  }

  /**
   * Reply audio seconds received per second of streaming (1.0: the reply keeps up with real time).
   */
  synchronized double realTimeFactor() {
    double wall = (streamEnd - firstSend) / 1e9;
    return wall <= 0 ? Double.NaN : ModelAudio.seconds(samplesAtStreamEnd) / wall;
  }
}
