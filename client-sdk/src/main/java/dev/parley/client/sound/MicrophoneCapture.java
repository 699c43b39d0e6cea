package dev.parley.client.sound;

import dev.parley.codec.audio.Pcm;
import dev.parley.codec.resample.StreamingResampler;
import java.time.Duration;
import java.util.function.Consumer;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.TargetDataLine;

/**
 * Captures the default microphone at whatever rate it supports (16-bit, mono, or stereo mixed to
 * mono) and delivers float chunks at the rate the caller asked for, resampling when the device runs
 * at another. Chunks arrive on a capture thread of their own.
 *
 * <pre>{@code
 * try (MicrophoneCapture mic = MicrophoneCapture.open(24000, Duration.ofMillis(80), conversation::sendAudio)) {
 *   mic.start();
 *   ...
 * }
 * }</pre>
 */
public final class MicrophoneCapture implements AutoCloseable {
  private final TargetDataLine line;
  private final StreamingResampler resampler;
  private final Consumer<float[]> sink;
  private final int chunkBytes;
  private final int channels;
  private Thread thread;
  private volatile boolean running;

  private MicrophoneCapture(TargetDataLine line, int rate, Duration chunk, Consumer<float[]> sink) {
    this.line = line;
    this.sink = sink;
    AudioFormat f = line.getFormat();
    this.channels = f.getChannels();
    int deviceRate = (int) f.getSampleRate();
    this.resampler = deviceRate == rate ? null : new StreamingResampler(deviceRate, rate);
    this.chunkBytes = (int) Math.max(1, deviceRate * chunk.toMillis() / 1000) * f.getFrameSize();
  }

  /**
   * Opens the default microphone.
   *
   * @param rate the rate of the delivered samples (e.g. 24000)
   * @param chunk how much audio each delivery holds (e.g. 80 ms)
   * @param sink receives each chunk on the capture thread
   * @throws SoundDeviceException if no microphone line can be opened; the message says why
   */
  public static MicrophoneCapture open(int rate, Duration chunk, Consumer<float[]> sink) {
    TargetDataLine line =
        LineFinder.open(TargetDataLine.class, rate, 4 * (int) chunk.toMillis(), "microphone");
    return new MicrophoneCapture(line, rate, chunk, sink);
  }

  /** The rate the device captures at. */
  public int deviceRate() {
    return (int) line.getFormat().getSampleRate();
  }

  /** Starts capturing on a new thread. */
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    line.start();
    thread = new Thread(this::captureLoop, "parley-microphone");
    thread.setDaemon(true);
    thread.start();
  }

  /** Stops capturing; the samples the resampler held back are dropped. */
  @Override
  public synchronized void close() {
    running = false;
    line.stop();
    line.close();
    if (thread != null) {
      try {
        thread.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void captureLoop() {
    byte[] bytes = new byte[chunkBytes];
    while (running) {
      int n = line.read(bytes, 0, bytes.length);
      if (n <= 0) {
        continue;
      }
      byte[] whole =
          n == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, n - n % (2 * channels));
      float[] mono = Pcm.s16leToMono(whole, channels);
      float[] out = resampler == null ? mono : resampler.process(mono);
      if (out.length > 0) {
        sink.accept(out);
      }
    }
  }
}
