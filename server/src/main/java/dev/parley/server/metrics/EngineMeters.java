package dev.parley.server.metrics;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.server.engine.EngineObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters of one engine: {@code parley_<kind>sessions_active}, {@code _capacity} and {@code
 * _started}, a {@code parley_stage_<kind><stage>} timer per stage it has and for the whole step,
 * {@code parley_<kind>batch_size}, on the 80 ms clock, {@code parley_<kind>deadline_misses}, and
 * for dialogue {@code parley_prompt_cache_hits}.
 */
final class EngineMeters implements EngineObserver {
  /** A step is due every 80 ms on the real-time engines. */
  private static final long DEADLINE_NANOS = ModelAudio.FRAME_NANOS;

  /**
   * What an engine's step is made of.
   *
   * @param encode a Mimi encode stage
   * @param decode a Mimi decode stage
   * @param deadlines whether steps follow the 80 ms clock (synthesis runs as fast as it can)
   */
  record Kind(
      String prefix,
      String noun,
      boolean encode,
      boolean decode,
      boolean deadlines,
      double maxBatch) {
    static final Kind DIALOGUE =
        new Kind("", "", /* encode= */ true, /* decode= */ true, /* deadlines= */ true, 256);
    static final Kind TRANSCRIPTION =
        new Kind(
            "stt_",
            "transcription ",
            /* encode= */ true,
            /* decode= */ false,
            /* deadlines= */ true,
            1024);
    static final Kind SYNTHESIS =
        new Kind(
            "tts_",
            "synthesis ",
            /* encode= */ false,
            /* decode= */ true,
            /* deadlines= */ false,
            1024);
  }

  private final AtomicInteger active = new AtomicInteger();
  private final AtomicInteger capacity = new AtomicInteger();
  private final Counter started;
  private final Timer encode; // null without the stage
  private final Timer lm;
  private final Timer decode; // null without the stage
  private final Timer step;
  private final DistributionSummary batch;
  private final Counter deadlineMisses; // null off the 80 ms clock
  private final Counter promptCacheHits; // null but for dialogue

  private final java.util.concurrent.atomic.AtomicBoolean counting;

  EngineMeters(
      MeterRegistry registry, Kind kind, java.util.concurrent.atomic.AtomicBoolean counting) {
    this.counting = counting;
    String p = kind.prefix();
    Gauge.builder("parley_" + p + "sessions_active", active, AtomicInteger::get)
        .description("open " + kind.noun() + "sessions")
        .register(registry);
    Gauge.builder("parley_" + p + "sessions_capacity", capacity, AtomicInteger::get)
        .description(kind.noun() + "session slots (live / capacity is the occupancy to scale on)")
        .register(registry);
    started =
        Counter.builder("parley_" + p + "sessions_started")
            .description(kind.noun() + "sessions opened")
            .register(registry);
    encode = kind.encode() ? stage(registry, p + "mimi_encode") : null;
    lm = stage(registry, p + "lm");
    decode = kind.decode() ? stage(registry, p + "mimi_decode") : null;
    step = stage(registry, p + "step");
    batch =
        DistributionSummary.builder("parley_" + p + "batch_size")
            .description(kind.noun() + "sessions per engine step")
            .publishPercentileHistogram()
            .maximumExpectedValue(kind.maxBatch())
            .register(registry);
    deadlineMisses =
        kind.deadlines()
            ? Counter.builder("parley_" + p + "deadline_misses")
                .description(kind.noun() + "session-steps that took longer than 80 ms")
                .register(registry)
            : null;
    promptCacheHits =
        kind == Kind.DIALOGUE
            ? Counter.builder("parley_prompt_cache_hits")
                .description("sessions that started from a cached prompt prefill")
                .register(registry)
            : null;
  }

  /** A stage timer {@code parley_stage_<name>}. */
  static Timer stage(MeterRegistry registry, String name) {
    return Timer.builder("parley_stage_" + name)
        .description("engine step stage time")
        .publishPercentileHistogram()
        .maximumExpectedValue(Duration.ofSeconds(2))
        .register(registry);
  }

  @Override
  public void stepTimed(
      int size, long encodeNanos, long lmNanos, long decodeNanos, long totalNanos) {
    if (!counting.get()) {
      return;
    }
    if (encode != null) {
      encode.record(encodeNanos, TimeUnit.NANOSECONDS);
    }
    lm.record(lmNanos, TimeUnit.NANOSECONDS);
    if (decode != null) {
      decode.record(decodeNanos, TimeUnit.NANOSECONDS);
    }
    step.record(totalNanos, TimeUnit.NANOSECONDS);
    batch.record(size);
    if (deadlineMisses != null && totalNanos > DEADLINE_NANOS) {
      deadlineMisses.increment(size);
    }
  }

  @Override
  public void capacity(int slots) {
    capacity.set(slots);
  }

  @Override
  public void sessionOpened() {
    active.incrementAndGet();
    if (counting.get()) {
      started.increment();
    }
  }

  @Override
  public void promptCacheHit() {
    if (promptCacheHits != null && counting.get()) {
      promptCacheHits.increment();
    }
  }

  @Override
  public void sessionClosed(String reason) {
    active.decrementAndGet();
  }

  int activeSessions() {
    return active.get();
  }
}
