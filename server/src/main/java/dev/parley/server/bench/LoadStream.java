package dev.parley.server.bench;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.opus.OggOpusWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The load benchmarks' microphones: a voiced tone with a syllable envelope, cut into 80 ms Ogg Opus
 * pages, sent to every client on one 80 ms clock. Closing it stops the clock.
 */
final class LoadStream implements AutoCloseable {
  private final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();

  /** Streams {@code seconds} of audio to each of {@code clients}, one page every 80 ms. */
  LoadStream(List<? extends LoadClient> clients, double seconds) {
    List<byte[]> pages = tonePages(seconds);
    int[] next = {0};
    clock.scheduleAtFixedRate(
        () -> {
          int p = next[0]++;
          if (p >= pages.size()) {
            return;
          }
          for (LoadClient c : clients) {
            try {
              c.sendPage(pages.get(p));
            } catch (RuntimeException e) { // one broken client must not stop the clock for all
              System.err.println("load client failed: " + e);
            }
          }
        },
        0,
        ModelAudio.FRAME_MILLIS,
        TimeUnit.MILLISECONDS);
  }

  static List<byte[]> tonePages(double seconds) {
    List<byte[]> pages = new ArrayList<>();
    try (OggOpusWriter w = new OggOpusWriter(OggOpusWriter.Options.speech24k(), pages::add)) {
      w.write(tone(seconds));
    }
    return pages;
  }

  /** A 160 Hz voiced tone whose loudness rises and falls four times a second. */
  static float[] tone(double seconds) {
    float[] pcm = new float[(int) (seconds * ModelAudio.SAMPLE_RATE)];
    for (int i = 0; i < pcm.length; i++) {
      double env = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * ModelAudio.seconds(i));
      pcm[i] = (float) (0.3 * env * Math.sin(2 * Math.PI * 160 * ModelAudio.seconds(i)));
    }
    return pcm;
  }

  @Override
  public void close() {
    clock.shutdownNow();
  }
}
