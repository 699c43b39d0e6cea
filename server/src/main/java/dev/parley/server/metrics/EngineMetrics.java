package dev.parley.server.metrics;

import dev.parley.server.engine.EngineObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The server's Prometheus metrics: sessions, per-stage step latencies, batch sizes, deadline
 * misses, bytes.
 */
public final class EngineMetrics implements EngineObserver {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  /** False while the server warms up: its throwaway sessions and steps are not traffic. */
  private final java.util.concurrent.atomic.AtomicBoolean counting =
      new java.util.concurrent.atomic.AtomicBoolean(true);

  private final EngineMeters dialogue =
      new EngineMeters(registry, EngineMeters.Kind.DIALOGUE, counting);
  private final Counter rejected;
  private final Counter closedWithError;
  private final Timer audioIn;
  private final Timer audioOut;
  private final Timer frameLatency;
  private final Timer frameOverhead;
  private final Counter bytesIn;
  private final Counter bytesOut;

  public EngineMetrics() {
    rejected =
        Counter.builder("parley_sessions_rejected")
            .description("sessions refused (full, auth)")
            .register(registry);
    closedWithError =
        Counter.builder("parley_sessions_failed")
            .description("sessions closed with an error")
            .register(registry);
    audioIn = EngineMeters.stage(registry, "audio_in");
    audioOut = EngineMeters.stage(registry, "audio_out");
    frameLatency =
        Timer.builder("parley_frame_latency")
            .description("input frame complete to output frame ready")
            .publishPercentileHistogram()
            .maximumExpectedValue(Duration.ofSeconds(2))
            .register(registry);
    frameOverhead =
        Timer.builder("parley_frame_overhead")
            .description(
                "frame latency beyond the model compute of its step: waiting for a step, transport work")
            .publishPercentileHistogram()
            .maximumExpectedValue(Duration.ofSeconds(2))
            .register(registry);
    bytesIn =
        Counter.builder("parley_bytes_in")
            .description("bytes received from clients: WebSocket messages and gRPC audio")
            .baseUnit("bytes")
            .register(registry);
    bytesOut =
        Counter.builder("parley_bytes_out")
            .description("bytes sent to clients: WebSocket messages and gRPC audio")
            .baseUnit("bytes")
            .register(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    Gauge.builder("parley_process_resident_bytes", NativeMemory::residentBytes)
        .description("resident set of the process, native memory included")
        .register(registry);
  }

  /** The dialogue engine's step: its meters, and the raw stage times while a benchmark captures. */
  @Override
  public void stepTimed(
      int size, long encodeNanos, long lmNanos, long decodeNanos, long totalNanos) {
    dialogue.stepTimed(size, encodeNanos, lmNanos, decodeNanos, totalNanos);
    java.util.Queue<long[]> q = stepSamples;
    if (q != null) {
      q.add(new long[] {encodeNanos, lmNanos, decodeNanos, totalNanos});
    }
  }

  @Override
  public void capacity(int slots) {
    dialogue.capacity(slots);
  }

  @Override
  public void sessionOpened() {
    dialogue.sessionOpened();
  }

  @Override
  public void promptCacheHit() {
    dialogue.promptCacheHit();
  }

  @Override
  public void sessionClosed(String reason) {
    dialogue.sessionClosed(reason);
    if (reason != null) {
      closedWithError.increment();
    }
  }

  /**
   * Observes a transcription engine: its own meters ({@code parley_stt_*}: sessions active and
   * started, step and stage times, batch size, deadline misses), apart from the dialogue engine's.
   */
  public EngineObserver transcriptionObserver() {
    return new EngineMeters(registry, EngineMeters.Kind.TRANSCRIPTION, counting);
  }

  /**
   * Metrics of a TTS engine: {@code parley_tts_*} sessions, step stages (LM, Mimi decode, whole
   * step) and batch size. TTS steps run as fast as compute allows, so there are no deadlines.
   */
  public EngineObserver synthesisObserver() {
    return new EngineMeters(registry, EngineMeters.Kind.SYNTHESIS, counting);
  }

  /**
   * While warming up, engine sessions and steps are not counted (sessions started, steps, batch
   * sizes, stage times, deadline misses), so the first scrape shows clients' traffic only.
   */
  public void warmingUp(boolean on) {
    counting.set(!on);
  }

  /** Decoding one client message of audio (Ogg Opus, Opus or PCM with resampling) to 24 kHz. */
  public void audioIn(long nanos) {
    audioIn.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Encoding one output frame to the client's format (Ogg Opus for /api/chat). */
  public void audioOut(long nanos) {
    audioOut.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void rejected() {
    rejected.increment();
  }

  /**
   * One output frame handed to its transport {@code nanos} after its input frame was complete;
   * {@code stepNanos} of that was the engine step's model compute, and the frame was ready (step
   * done) {@code readyNanos} after its input.
   */
  public void frameLatency(long nanos, long stepNanos, long readyNanos) {
    frameLatency.record(nanos, TimeUnit.NANOSECONDS);
    frameOverhead.record(Math.max(0, nanos - stepNanos), TimeUnit.NANOSECONDS);
    java.util.Queue<long[]> q = frameSamples;
    if (q != null) {
      q.add(new long[] {nanos, stepNanos, readyNanos});
    }
  }

  // Raw samples are kept only while a benchmark asks for them (a server would grow forever).
  private volatile java.util.Queue<long[]> frameSamples;
  private volatile java.util.Queue<long[]> stepSamples;

  public void captureFrameLatencies(boolean on) {
    frameSamples = on ? new java.util.concurrent.ConcurrentLinkedQueue<>() : null;
    stepSamples = on ? new java.util.concurrent.ConcurrentLinkedQueue<>() : null;
  }

  /**
   * Stage times of every step since the last call, as columns: Mimi encode, LM, Mimi decode, whole
   * step (nanoseconds). Kept only while a benchmark captures.
   */
  public long[][] drainStepTimes() {
    return drainColumns(stepSamples, 4);
  }

  /**
   * Every output frame recorded since the last call, as columns (nanoseconds): latency (input frame
   * complete → handed to the transport), the model compute of its step, and the time it was ready
   * (step done) after its input. Kept only while a benchmark captures.
   */
  public long[][] drainFrameTimes() {
    return drainColumns(frameSamples, 3);
  }

  private static long[][] drainColumns(java.util.Queue<long[]> q, int columns) {
    java.util.List<long[]> rows = new java.util.ArrayList<>();
    for (long[] r; q != null && (r = q.poll()) != null; ) {
      rows.add(r);
    }
    long[][] cols = new long[columns][rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      for (int c = 0; c < columns; c++) {
        cols[c][i] = rows.get(i)[c];
      }
    }
    return cols;
  }

  public void bytesIn(long n) {
    bytesIn.increment(n);
  }

  public void bytesOut(long n) {
    bytesOut.increment(n);
  }

  /** Open dialogue sessions. */
  public int activeSessions() {
    return dialogue.activeSessions();
  }

  /** The meters themselves, for readers other than Prometheus (the JSON status). */
  public io.micrometer.core.instrument.MeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }

  /** Resident set size from /proc (Linux), or -1. */
  static final class NativeMemory {
    private NativeMemory() {}

    static double residentBytes() {
      try {
        for (String line :
            java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
          if (line.startsWith("VmRSS:")) {
            return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024.0;
          }
        }
      } catch (java.io.IOException | RuntimeException e) {
        return -1;
      }
      return -1;
    }
  }
}
