package dev.parley.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * {@code /api/status}: the server at a glance as JSON, for the web app's Server tab. The numbers
 * are read from the same meters {@code /metrics} exposes: quantiles are interpolated within the
 * cumulative histogram buckets the way Prometheus's {@code histogram_quantile} does, so they cover
 * the server's whole life; counts and sums let a poller work out rates and means over its own
 * interval. It needs the API key when the server has keys, like the model routes.
 */
final class StatusRoute {
  static final String PATH = "/api/status";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** An engine as the status names it, with the prefix of its meters and its step's stages. */
  private record Engine(String name, String service, String prefix, List<String> stages) {}

  private static final List<Engine> ENGINES =
      List.of(
          new Engine("dialogue", "dialogue", "", List.of("mimi_encode", "lm", "mimi_decode")),
          new Engine("transcription", "transcription", "stt_", List.of("mimi_encode", "lm")),
          new Engine("speech", "speech", "tts_", List.of("lm", "mimi_decode")));

  private final RouteAccess access;
  private final Map<String, Object> info;
  private final BooleanSupplier ready;

  StatusRoute(RouteAccess access, Map<String, Object> info, BooleanSupplier ready) {
    this.access = access;
    this.info = info;
    this.ready = ready;
  }

  void handle(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q)
      throws Exception {
    if (!access.config().apiKeys().allows(req.headers(), q)) {
      HttpResponses.text(ctx, req, HttpResponseStatus.UNAUTHORIZED, RouteAccess.WRONG_KEY);
      return;
    }
    HttpResponses.respond(
        ctx, req, HttpResponseStatus.OK, "application/json", JSON.writeValueAsString(status()));
  }

  Map<String, Object> status() {
    MeterRegistry r = access.metrics().registry();
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("server", info.get("server"));
    s.put("ready", ready.getAsBoolean());
    s.put("accepting", access.accepting().getAsBoolean());
    s.put("auth", info.get("auth"));
    s.put("models", models());
    if (info.get("stt_delay_seconds") != null) {
      s.put("stt_delay_seconds", info.get("stt_delay_seconds"));
    }
    if (info.get("tts_voice_names") != null) {
      s.put("voices", info.get("tts_voice_names"));
      s.put("default_voice", info.get("tts_default_voice"));
    }
    Map<String, Object> engines = new LinkedHashMap<>();
    List<?> services = (List<?>) info.getOrDefault("services", List.of());
    for (Engine e : ENGINES) {
      if (services.contains(e.service())) {
        engines.put(e.name(), engine(r, e));
      }
    }
    s.put("engines", engines);
    s.put("frame_latency_ms", timer(r.find("parley_frame_latency").timer()));
    s.put("frame_overhead_ms", timer(r.find("parley_frame_overhead").timer()));
    s.put("sessions_rejected", count(r.find("parley_sessions_rejected").counter()));
    s.put("sessions_failed", count(r.find("parley_sessions_failed").counter()));
    s.put("bytes_in", count(r.find("parley_bytes_in").counter()));
    s.put("bytes_out", count(r.find("parley_bytes_out").counter()));
    return s;
  }

  private List<Map<String, Object>> models() {
    List<Map<String, Object>> models = new ArrayList<>();
    List<?> services = (List<?>) info.getOrDefault("services", List.of());
    if (services.contains("dialogue")) {
      models.add(model((String) info.get("model"), "dialogue", info.get("demo")));
    }
    if (services.contains("transcription")) {
      Object stt = info.get("stt_model");
      models.add(
          stt != null
              ? model((String) stt, "transcription", info.get("stt_demo"))
              : model((String) info.get("model"), "transcription", info.get("demo")));
    }
    if (services.contains("speech")) {
      models.add(model((String) info.get("tts_model"), "speech", info.get("tts_demo")));
    }
    return models;
  }

  private Map<String, Object> model(String name, String kind, Object demo) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("kind", kind);
    m.put("device", info.getOrDefault("device", "cpu"));
    m.put("demo", Boolean.TRUE.equals(demo));
    return m;
  }

  private Map<String, Object> engine(MeterRegistry r, Engine e) {
    String p = "parley_" + e.prefix();
    Map<String, Object> m = new LinkedHashMap<>();
    Gauge live = r.find(p + "sessions_active").gauge();
    m.put("sessions_live", live == null ? 0 : (int) live.value());
    m.put("capacity", access.config().maxSessions());
    m.put("sessions_started", count(r.find(p + "sessions_started").counter()));
    Map<String, Object> stages = new LinkedHashMap<>();
    for (String stage : e.stages()) {
      stages.put(stage, timer(r.find("parley_stage_" + e.prefix() + stage).timer()));
    }
    stages.put("step", timer(r.find("parley_stage_" + e.prefix() + "step").timer()));
    m.put("stage_ms", stages);
    DistributionSummary batch = r.find(p + "batch_size").summary();
    m.put("batch_size", batch == null ? null : summary(batch.takeSnapshot(), 1));
    Counter misses = r.find(p + "deadline_misses").counter();
    m.put("deadline_misses", misses == null ? null : count(misses));
    return m;
  }

  private static long count(Counter c) {
    return c == null ? 0 : (long) c.count();
  }

  private static Map<String, Object> timer(Timer t) {
    return t == null ? null : summary(t.takeSnapshot(), 1e6); // nanoseconds → milliseconds
  }

  /**
   * Count, sum, mean, p50, p99 and max of a histogram, in its base unit divided by {@code unit}.
   */
  static Map<String, Object> summary(HistogramSnapshot h, double unit) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", h.count());
    m.put("sum", h.total() / unit);
    m.put("mean", h.count() == 0 ? 0.0 : h.total() / h.count() / unit);
    m.put("p50", quantile(h, 0.5) / unit);
    m.put("p99", quantile(h, 0.99) / unit);
    m.put("max", h.max() / unit);
    return m;
  }

  /**
   * Prometheus's {@code histogram_quantile}: the bucket holding the q-th observation, linear within
   * it from the previous bucket's bound (0 for the first); past the last finite bucket, its bound.
   * 0 for an empty histogram.
   */
  static double quantile(HistogramSnapshot h, double q) {
    CountAtBucket[] buckets = h.histogramCounts();
    long total = h.count();
    if (total == 0 || buckets.length == 0) {
      return 0;
    }
    double rank = q * total;
    double lowerBound = 0;
    double lowerCount = 0;
    for (CountAtBucket b : buckets) {
      double upper = b.bucket(); // cumulative: observations at or below this bound
      if (b.count() >= rank) {
        double inBucket = b.count() - lowerCount;
        return inBucket <= 0
            ? upper
            : lowerBound + (upper - lowerBound) * (rank - lowerCount) / inBucket;
      }
      lowerBound = upper;
      lowerCount = b.count();
    }
    return lowerBound;
  }
}
