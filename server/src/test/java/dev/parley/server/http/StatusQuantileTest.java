package dev.parley.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The status quantiles from histogram buckets, against distributions whose quantiles are known:
 * within the resolution of Micrometer's buckets (about ±10 % between neighbouring bounds).
 */
class StatusQuantileTest {
  @Test
  void uniformMillisecondsGiveTheirMedianAndNinetyNinthPercentile() {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Timer t =
        Timer.builder("t")
            .publishPercentileHistogram()
            .maximumExpectedValue(Duration.ofSeconds(2))
            .register(r);
    for (int i = 1; i <= 1000; i++) {
      t.record(i * 100_000L, TimeUnit.NANOSECONDS); // 0.1 .. 100 ms
    }
    Map<String, Object> s = StatusRoute.summary(t.takeSnapshot(), 1e6);
    assertThat((double) s.get("p50")).isCloseTo(50, offset(6.0));
    assertThat((double) s.get("p99")).isCloseTo(99, offset(11.0));
    assertThat((double) s.get("mean")).isCloseTo(50.05, offset(1e-6));
    assertThat((long) s.get("count")).isEqualTo(1000);
    assertThat((double) s.get("max")).isCloseTo(100, offset(1e-6));
  }

  @Test
  void aConstantBatchSizeIsItsOwnQuantileAndAnEmptyHistogramIsZero() {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    DistributionSummary b =
        DistributionSummary.builder("b")
            .publishPercentileHistogram()
            .maximumExpectedValue(256.0)
            .register(r);
    assertThat(StatusRoute.quantile(b.takeSnapshot(), 0.5)).isZero();
    for (int i = 0; i < 50; i++) {
      b.record(4);
    }
    double p50 = StatusRoute.quantile(b.takeSnapshot(), 0.5);
    assertThat(p50).isGreaterThan(3).isLessThanOrEqualTo(4);
    assertThat(StatusRoute.quantile(b.takeSnapshot(), 0.99))
        .isGreaterThanOrEqualTo(p50)
        .isLessThanOrEqualTo(4);
  }
}
