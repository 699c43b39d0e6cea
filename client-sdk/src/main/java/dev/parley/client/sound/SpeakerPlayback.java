package dev.parley.client.sound;

import dev.parley.codec.audio.Pcm;
import dev.parley.codec.resample.StreamingResampler;
import java.time.Duration;
import java.util.ArrayDeque;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.SourceDataLine;

/**
 * Plays mono float audio (24 kHz from the model, or any rate given) on the default speaker at a
 * rate the device supports. {@link #play(float[])} never blocks: samples wait in a bounded queue
 * that a playback thread writes to the device; past the bound, new samples are dropped and counted,
 * so a stalled device cannot stall the network thread that delivers the audio.
 */
public final class SpeakerPlayback implements AutoCloseable {
  private final SourceDataLine line;
  private final StreamingResampler resampler;
  private final int channels;
  private final long maxQueuedSamples;
  private final ArrayDeque<float[]> queue = new ArrayDeque<>();
  private final Thread thread;
  private long queuedSamples;
  private long droppedSamples;
  private boolean writing;
  private volatile boolean running = true;

  private SpeakerPlayback(SourceDataLine line, int sourceRate, Duration maxQueued) {
    this.line = line;
    AudioFormat f = line.getFormat();
    this.channels = f.getChannels();
    int deviceRate = (int) f.getSampleRate();
    this.resampler =
        deviceRate == sourceRate ? null : new StreamingResampler(sourceRate, deviceRate);
    this.maxQueuedSamples = sourceRate * maxQueued.toMillis() / 1000;
    line.start();
    this.thread = new Thread(this::playLoop, "parley-speaker");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Opens the default speaker.
   *
   * @param sourceRate the rate of the samples given to {@link #play} (24000 for the model's voice)
   * @param maxQueued most audio waiting to be played before new audio is dropped
   * @throws SoundDeviceException if no playback line can be opened; the message says why
   */
  public static SpeakerPlayback open(int sourceRate, Duration maxQueued) {
    SourceDataLine line = LineFinder.open(SourceDataLine.class, sourceRate, 200, "speaker");
    return new SpeakerPlayback(line, sourceRate, maxQueued);
  }

  /** The rate the device plays at. */
  public int deviceRate() {
    return (int) line.getFormat().getSampleRate();
  }

  /** Queues samples for playback; drops them if the queue is full. */
  public synchronized void play(float[] samples) {
    if (queuedSamples + samples.length > maxQueuedSamples) {
      droppedSamples += samples.length;
      return;
    }
    queue.addLast(samples.clone());
    queuedSamples += samples.length;
    notifyAll();
  }

  /** Samples dropped because the queue was full. */
  public synchronized long droppedSamples() {
    return droppedSamples;
  }

  /** Waits until everything queued has been played, or {@code timeout} passes. */
  public void drain(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      while ((!queue.isEmpty() || writing) && System.nanoTime() < deadline) {
        wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      }
    }
    line.drain();
  }

  @Override
  public void close() {
    running = false;
    synchronized (this) {
      notifyAll();
    }
    try {
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    line.stop();
    line.close();
  }

  private void playLoop() {
    while (running) {
      float[] next;
      synchronized (this) {
        writing = false;
        notifyAll();
        while (running && queue.isEmpty()) {
          try {
            wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        if (!running) {
          return;
        }
        next = queue.pollFirst();
        queuedSamples -= next.length;
        writing = true;
      }
      float[] device = resampler == null ? next : resampler.process(next);
      byte[] bytes = Pcm.monoToS16le(spread(device), 0, device.length * channels);
      line.write(bytes, 0, bytes.length); // blocks while the device buffer is full
    }
  }

  private float[] spread(float[] mono) {
    if (channels == 1) {
      return mono;
    }
    float[] out = new float[mono.length * channels];
    for (int i = 0; i < mono.length; i++) {
      for (int c = 0; c < channels; c++) {
        out[i * channels + c] = mono[i];
      }
    }
    return out;
  }
}
