package dev.parley.server.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.parley.server.ParleyServer;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * N concurrent real-time chat clients against a server on loopback: each streams Ogg Opus pages (80
 * ms of audio each) on an 80 ms clock, as a microphone does. Reports the server's per-frame latency
 * (input frame complete → output frame handed to the socket), deadline misses, steps and process
 * CPU.
 */
public final class ChatLoadBench {
  private ChatLoadBench() {}

  /** The dialogue engine's loop thread. */
  static final String ENGINE_THREAD = "parley-engine";

  public record Result(
      Transport transport,
      int sessions,
      double seconds,
      long frames,
      LatencyStats latency,
      long deadlineMisses,
      long steps,
      double cpuCores,
      long received,
      LatencyStats[] stages,
      LatencyStats overhead,
      LatencyStats transportTime,
      double engineCpuMsPerStep) {
    public String line() {
      return String.format(
          java.util.Locale.ROOT,
          "bench=chat transport=%s sessions=%d seconds=%.0f frames=%d latency_p50_ms=%.2f latency_p99_ms=%.2f "
              + "deadline_misses=%d steps=%d mean_batch=%.2f cpu_cores=%.2f "
              + "overhead_p50_ms=%.2f overhead_p99_ms=%.2f transport_p50_ms=%.2f transport_p99_ms=%.2f "
              + "encode_p50_ms=%.2f lm_p50_ms=%.2f decode_p50_ms=%.2f step_p50_ms=%.2f step_p99_ms=%.2f "
              + "engine_cpu_ms_per_step=%.2f",
          transport.name().toLowerCase(java.util.Locale.ROOT),
          sessions,
          seconds,
          frames,
          latency.p50(),
          latency.p99(),
          deadlineMisses,
          steps,
          steps == 0 ? 0.0 : frames / (double) steps,
          cpuCores,
          overhead.p50(),
          overhead.p99(),
          transportTime.p50(),
          transportTime.p99(),
          stages[0].p50(),
          stages[1].p50(),
          stages[2].p50(),
          stages[3].p50(),
          stages[3].p99(),
          engineCpuMsPerStep);
    }
  }

  /** How the load clients talk to the server. */
  public enum Transport {
    WS,
    GRPC
  }

  public static Result run(ParleyServer server, int sessions, double seconds) throws Exception {
    return run(server, sessions, seconds, 0, Transport.WS);
  }

  /**
   * Sessions stream for {@code warmUpSeconds} before measuring starts (the measured window is
   * {@code seconds}), so start-up transients — sessions joining, the JIT — are left out.
   */
  public static Result run(
      ParleyServer server, int sessions, double seconds, double warmUpSeconds, Transport transport)
      throws Exception {
    AtomicLong received = new AtomicLong();
    List<LoadClient> clients = new ArrayList<>();
    for (int s = 0; s < sessions; s++) {
      clients.add(
          transport == Transport.GRPC
              ? new GrpcLoadClient(server.grpcPort(), received)
              : new WebSocketLoadClient(server.port(), received));
    }
    LoadStream stream = new LoadStream(clients, seconds + warmUpSeconds + 1);
    Thread.sleep((long) (warmUpSeconds * 1000));
    server.metrics().captureFrameLatencies(true);
    long steps0 = server.engine().steps();
    long misses0 = server.engine().deadlineMisses();
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long engineCpu0 = EngineThreadCpu.nanos(ENGINE_THREAD);
    long t0 = System.nanoTime();
    Thread.sleep((long) (seconds * 1000));
    long engineCpu1 = EngineThreadCpu.nanos(ENGINE_THREAD);
    long[][] frameTimes = server.metrics().drainFrameTimes();
    long[] lat = frameTimes[0];
    long[] over = new long[lat.length]; // beyond the model compute of the frame's step
    long[] transportTimes = new long[lat.length]; // from the step's end to the socket
    for (int i = 0; i < lat.length; i++) {
      over[i] = Math.max(0, lat[i] - frameTimes[1][i]);
      transportTimes[i] = Math.max(0, lat[i] - frameTimes[2][i]);
    }
    long[][] stepTimes = server.metrics().drainStepTimes();
    long wall = System.nanoTime() - t0;
    double cpuCores = (os.getProcessCpuTime() - cpu0) / (double) wall;
    long steps = server.engine().steps() - steps0;
    long misses = server.engine().deadlineMisses() - misses0;
    stream.close();
    LatencyStats[] stages = new LatencyStats[4];
    for (int c = 0; c < 4; c++) {
      stages[c] = new LatencyStats(stepTimes[c]);
    }
    server.metrics().captureFrameLatencies(false);
    for (LoadClient c : clients) {
      c.close();
    }
    return new Result(
        transport,
        sessions,
        seconds,
        lat.length,
        new LatencyStats(lat),
        misses,
        steps,
        cpuCores,
        received.get(),
        stages,
        new LatencyStats(over),
        new LatencyStats(transportTimes),
        EngineThreadCpu.msPerStep(engineCpu0, engineCpu1, steps));
  }
}
