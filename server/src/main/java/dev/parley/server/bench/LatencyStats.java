package dev.parley.server.bench;

import java.util.Arrays;

/** Percentiles of per-call latencies, in milliseconds. */
public final class LatencyStats {
  private final double[] sortedMs;

  public LatencyStats(long[] nanos) {
    sortedMs = new double[nanos.length];
    for (int i = 0; i < nanos.length; i++) {
      sortedMs[i] = nanos[i] / 1e6;
    }
    Arrays.sort(sortedMs);
  }

  /** Nearest-rank percentile, p in (0, 100]. */
  public double percentile(double p) {
    if (sortedMs.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100.0 * sortedMs.length);
    return sortedMs[Math.max(0, Math.min(sortedMs.length - 1, rank - 1))];
  }

  public double p50() {
    return percentile(50);
  }

  public double p99() {
    return percentile(99);
  }

  public double mean() {
    double s = 0;
    for (double v : sortedMs) {
      s += v;
    }
    return sortedMs.length == 0 ? Double.NaN : s / sortedMs.length;
  }
}
