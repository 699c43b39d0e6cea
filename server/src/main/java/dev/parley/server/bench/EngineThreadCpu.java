package dev.parley.server.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * CPU time of an engine's own thread, found by name. With one libtorch intra-op thread every op of
 * a step runs on it, so its CPU time per step is the step's compute without the time spent waiting
 * for a core: on a shared, loaded machine it compares two builds where wall-clock steps do not.
 */
final class EngineThreadCpu {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private EngineThreadCpu() {}

  /** CPU nanoseconds the live thread named {@code name} has used, or -1 if there is none. */
  static long nanos(String name) {
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals(name)) {
        return THREADS.getThreadCpuTime(t.getId());
      }
    }
    return -1;
  }

  /** CPU nanoseconds of the calling thread. */
  static long current() {
    return THREADS.getCurrentThreadCpuTime();
  }

  /** Milliseconds of CPU per step between two readings, or NaN without a thread or steps. */
  static double msPerStep(long cpu0, long cpu1, long steps) {
    return cpu0 < 0 || cpu1 < 0 || steps <= 0 ? Double.NaN : (cpu1 - cpu0) / 1e6 / steps;
  }
}
