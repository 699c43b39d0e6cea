package dev.parley.server.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.stt.SttEngine;
import dev.parley.server.stt.SttListener;
import dev.parley.server.stt.SttOptions;
import dev.parley.server.stt.SttSession;
import dev.parley.server.stt.SttStep;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * N real-time transcription streams into one in-process {@link SttEngine}: on a shared 80 ms clock
 * every stream hands the engine its next 1920 samples (24 kHz) of speech-like audio, as N
 * microphones would. After a warm-up (sessions joining, silence prefixes, the JIT), it measures for
 * the given seconds: per-step time and batch size, each frame's latency (from its arrival to the
 * end of the step that consumed it), deadline misses (client frames in steps over 80 ms), the
 * backlog left at the end, and process CPU. A run kept real time when no stream fell more than two
 * frames behind and at most 1% of the frames were in late steps.
 */
public final class SttBench {
  static final int FRAME = ModelAudio.FRAME_SAMPLES;
  static final long TICK_NANOS = SttEngine.FRAME_NANOS;

  private SttBench() {}

  /**
   * One run.
   *
   * @param frames client frames stepped in the measured window
   * @param step per engine step in the window: its time (Mimi encode + LM step)
   * @param latency per client frame in the window: arrival to the end of its step
   * @param deadlineMisses client frames in the window stepped by steps over 80 ms
   * @param backlogFrames the most client frames any stream had waiting at the end
   * @param cpuCores process CPU time over wall time in the window
   * @param textDelaySeconds the model's own text lag ({@code audio_delay_seconds}): a word comes
   *     out this much audio after it was spoken, plus the frame latency
   * @param engineCpuMsPerStep the engine thread's CPU time per step in the window
   */
  public record Result(
      String model,
      int sessions,
      double seconds,
      int threads,
      long frames,
      long steps,
      LatencyStats step,
      LatencyStats latency,
      long deadlineMisses,
      long backlogFrames,
      double cpuCores,
      double textDelaySeconds,
      long closedSessions,
      double engineCpuMsPerStep) {

    public double meanBatch() {
      return steps == 0 ? 0 : frames / (double) steps;
    }

    /** No stream more than two frames behind, at most 1% of frames late, no stream closed. */
    public boolean keptRealTime() {
      return backlogFrames <= 2
          && deadlineMisses <= frames / 100
          && closedSessions == 0
          && frames > 0;
    }

    public String line() {
      return String.format(
          Locale.ROOT,
          "bench=stt model=%s sessions=%d seconds=%.0f threads=%d frames=%d steps=%d mean_batch=%.2f "
              + "step_p50_ms=%.2f step_p99_ms=%.2f latency_p50_ms=%.2f latency_p99_ms=%.2f deadline_misses=%d "
              + "backlog_frames=%d cpu_cores=%.2f text_delay_s=%.2f word_latency_p50_ms=%.0f realtime=%s "
              + "engine_cpu_ms_per_step=%.2f",
          model,
          sessions,
          seconds,
          threads,
          frames,
          steps,
          meanBatch(),
          step.p50(),
          step.p99(),
          latency.p50(),
          latency.p99(),
          deadlineMisses,
          backlogFrames,
          cpuCores,
          textDelaySeconds,
          textDelaySeconds * 1000 + latency.p50(),
          keptRealTime() ? "yes" : "no",
          engineCpuMsPerStep);
    }
  }

  /**
   * Runs {@code sessions} streams for {@code warmUpSeconds} + {@code seconds} on a new engine with
   * as many slots, then closes it. The caller sets libtorch's threads ({@code threads} is
   * reported).
   */
  public static Result run(
      SpeechModel model, int sessions, double seconds, double warmUpSeconds, int threads)
      throws InterruptedException {
    return run(model, sessions, sessions, seconds, warmUpSeconds, threads);
  }

  /** As above on an engine of {@code slots} slots (at least {@code sessions}). */
  public static Result run(
      SpeechModel model, int sessions, int slots, double seconds, double warmUpSeconds, int threads)
      throws InterruptedException {
    if (sessions < 1 || slots < sessions || !(seconds > 0) || warmUpSeconds < 0) {
      throw new IllegalArgumentException(
          "need at least one session, a slot for each and a positive duration");
    }
    float[] audio = speechLike(30);
    int totalFrames = (int) Math.ceil((seconds + warmUpSeconds) * 1e9 / TICK_NANOS) + 2;
    // A generous queue: an overloaded engine shows up as backlog and misses, not as closed
    // sessions.
    try (SttEngine engine = new SttEngine(model, slots, totalFrames + 16)) {
      Stats stats = new Stats(engine);
      List<Stream> streams = new ArrayList<>();
      for (int s = 0; s < sessions; s++) {
        Stream st =
            new Stream(
                stats,
                totalFrames,
                engine.settings().prefixFrames(),
                (s * 7919L * FRAME)
                    % (audio.length - FRAME)); // each stream at its own place in the audio
        try {
          st.session = engine.open(SttOptions.defaults(), st);
        } catch (dev.parley.server.engine.EngineFullException e) {
          throw new IllegalStateException(e);
        }
        streams.add(st);
      }
      ScheduledExecutorService clock =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "stt-bench-clock");
                t.setDaemon(true);
                return t;
              });
      long[] tick = {0};
      var task =
          clock.scheduleAtFixedRate(
              () -> {
                int k = (int) tick[0]++;
                if (k >= totalFrames) {
                  return;
                }
                float[] frame = new float[FRAME];
                for (Stream st : streams) {
                  int off = (int) ((st.audioOffset + (long) k * FRAME) % (audio.length - FRAME));
                  System.arraycopy(audio, off, frame, 0, FRAME);
                  st.offered[k] = System.nanoTime();
                  st.offeredCount = k + 1;
                  try {
                    st.session.offerAudio(frame, 0, FRAME);
                  } catch (
                      RuntimeException
                          e) { // one broken stream must not stop the clock for the others
                    System.err.println("stt bench stream failed: " + e);
                  }
                }
              },
              0,
              TICK_NANOS,
              TimeUnit.NANOSECONDS);
      Thread.sleep((long) (warmUpSeconds * 1000));
      OperatingSystemMXBean os =
          (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long misses0 = engine.deadlineMisses();
      long cpu0 = os.getProcessCpuTime();
      long engineCpu0 = EngineThreadCpu.nanos("parley-stt-engine");
      long steps0 = engine.steps();
      long t0 = System.nanoTime();
      stats.measureFrom = t0;
      Thread.sleep((long) (seconds * 1000));
      long t1 = System.nanoTime();
      double engineCpu =
          EngineThreadCpu.msPerStep(
              engineCpu0, EngineThreadCpu.nanos("parley-stt-engine"), engine.steps() - steps0);
      stats.measureTo = t1;
      double cpuCores = (os.getProcessCpuTime() - cpu0) / (double) (t1 - t0);
      long misses = engine.deadlineMisses() - misses0;
      long backlog = 0;
      long closed = 0;
      for (Stream st : streams) {
        backlog = Math.max(backlog, st.session.framesReceived() - st.session.framesConsumed());
        closed += st.session.isClosed() ? 1 : 0;
      }
      task.cancel(false);
      clock.shutdownNow();
      clock.awaitTermination(1, TimeUnit.SECONDS);
      for (Stream st : streams) {
        st.session.close();
      }
      return new Result(
          model.name(),
          sessions,
          seconds,
          threads,
          stats.frames.get(),
          stats.stepTimes.size(),
          new LatencyStats(toArray(stats.stepTimes)),
          new LatencyStats(toArray(stats.latencies)),
          misses,
          backlog,
          cpuCores,
          engine.settings().audioDelaySeconds(),
          closed,
          engineCpu);
    }
  }

  private static long[] toArray(ConcurrentLinkedQueue<Long> q) {
    return q.stream().mapToLong(Long::longValue).toArray();
  }

  /** Shared step accounting; every listener call comes on the engine thread. */
  private static final class Stats {
    final SttEngine engine;
    final ConcurrentLinkedQueue<Long> stepTimes = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
    final AtomicLong frames = new AtomicLong();
    volatile long measureFrom = Long.MAX_VALUE;
    volatile long measureTo = Long.MAX_VALUE;
    private long lastStep = -1;

    Stats(SttEngine engine) {
      this.engine = engine;
    }

    /** A session's step ended at {@code now}: the first session of a step records the step. */
    void step(SttStep step, long now, long arrived) {
      boolean inWindow = now >= measureFrom && now <= measureTo;
      long n = engine.steps(); // counted before the step's sessions hear of it
      if (n != lastStep) {
        lastStep = n;
        if (inWindow) {
          stepTimes.add(step.stepNanos());
        }
      }
      if (inWindow && arrived > 0) {
        frames.incrementAndGet();
        latencies.add(now - arrived);
      }
    }
  }

  /** One simulated microphone. */
  private static final class Stream implements SttListener {
    final Stats stats;
    final long[] offered;
    volatile int offeredCount;
    final int prefixFrames;
    final long audioOffset;
    SttSession session;

    Stream(Stats stats, int frames, int prefixFrames, long audioOffset) {
      this.stats = stats;
      this.offered = new long[frames];
      this.prefixFrames = prefixFrames;
      this.audioOffset = audioOffset;
    }

    @Override
    public void onStep(SttStep step) {
      long now = System.nanoTime();
      long k = step.index() - prefixFrames; // the client frame this step consumed, if any
      long arrived = k >= 0 && k < offeredCount ? offered[(int) k] : 0;
      stats.step(step, now, arrived);
    }

    @Override
    public void onWord(int index, String text, double startSeconds) {}

    @Override
    public void onClosed(String reason) {
      if (reason != null) {
        System.err.println("stt bench session closed: " + reason);
      }
    }
  }

  /**
   * {@code seconds} of speech-like 24 kHz audio: a voiced source (a gliding 100–180 Hz pitch with
   * harmonics) through two moving formant-like resonances, syllables at about 4 Hz, short pauses,
   * and a little noise.
   */
  static float[] speechLike(double seconds) {
    int n = (int) (seconds * ModelAudio.SAMPLE_RATE);
    float[] out = new float[n];
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(42);
    double phase = 0;
    for (int i = 0; i < n; i++) {
      double t = ModelAudio.seconds(i);
      double f0 = 140 + 40 * Math.sin(2 * Math.PI * 0.7 * t);
      phase += 2 * Math.PI * f0 / ModelAudio.SAMPLE_RATE;
      double f1 = 500 + 300 * Math.sin(2 * Math.PI * 3.1 * t);
      double f2 = 1500 + 700 * Math.sin(2 * Math.PI * 2.3 * t + 1);
      double v = 0;
      for (int h = 1; h <= 20; h++) {
        double fh = h * f0;
        double gain =
            1.0
                / h
                * (1 / (1 + Math.pow((fh - f1) / 150, 2))
                    + 0.5 / (1 + Math.pow((fh - f2) / 250, 2)));
        v += gain * Math.sin(h * phase);
      }
      double syllable = Math.max(0, Math.sin(2 * Math.PI * 4 * t));
      double pause = ((int) (t / 1.7)) % 3 == 2 && (t % 1.7) < 0.4 ? 0 : 1;
      out[i] = (float) (0.5 * v * syllable * pause + 0.003 * (rnd.nextDouble() * 2 - 1));
    }
    return out;
  }
}
