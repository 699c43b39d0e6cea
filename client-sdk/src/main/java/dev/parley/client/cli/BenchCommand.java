package dev.parley.client.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.client.ConversationOptions;
import dev.parley.client.ParleyClient;
import dev.parley.client.kyutai.KyutaiChatOptions;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.resample.StreamingResampler;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavReader;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.DoubleStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code parley bench}: N concurrent real-time conversations, latency and deadline misses. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "N concurrent sessions each stream audio in real time (one 80 ms frame per tick, on one clock) for a while.",
      "gRPC: server latency (FrameTiming), client latency (input frame handed to gRPC -> its output frame's last "
          + "sample received), engine step time, deadline misses, real-time factor.",
      "ws: what /api/chat lets a client see (time to first audio, real-time factor); the protocol carries no timing."
    })
final class BenchCommand implements Callable<Integer> {
  private static final int FRAME = ModelAudio.FRAME_SAMPLES;

  @ParentCommand ParleyCli cli;

  @Spec CommandSpec spec;

  @Mixin SamplingOptions sampling;

  @Option(
      names = "--sessions",
      defaultValue = "4",
      paramLabel = "N",
      description = "Concurrent sessions (default: ${DEFAULT-VALUE}).")
  int sessions;

  @Option(
      names = "--seconds",
      defaultValue = "20",
      paramLabel = "S",
      description = "How long each session streams (default: ${DEFAULT-VALUE}).")
  double seconds;

  @Option(
      names = "--warmup-seconds",
      defaultValue = "5",
      paramLabel = "S",
      description =
          "Seconds streamed before latencies count (JIT and sessions joining; default: ${DEFAULT-VALUE}).")
  double warmUpSeconds;

  @Option(
      names = "--in",
      paramLabel = "WAV",
      description = "Audio each session streams, looped (default: a built-in voice-like signal).")
  Path in;

  @Option(names = "--transport", defaultValue = "grpc", description = "grpc (default) or ws.")
  Transport transport;

  @Option(
      names = "--ws-url",
      defaultValue = "ws://127.0.0.1:8998/api/chat",
      paramLabel = "URL",
      description = "/api/chat address for --transport ws (default: ${DEFAULT-VALUE}).")
  URI wsUrl;

  @Option(names = "--json", description = "Print the result as one JSON object on stdout.")
  boolean json;

  @Option(
      names = "--no-progress",
      description = "No progress bar on stderr (there is none when the output is not a terminal).")
  boolean noProgress;

  @Override
  public Integer call() throws Exception {
    if (sessions < 1 || seconds <= 0) {
      throw new IllegalArgumentException("--sessions must be at least 1 and --seconds positive");
    }
    float[] signal = in == null ? VoiceLikeSignal.generate(10 * ModelAudio.SAMPLE_RATE) : load(in);
    // 1e-9: 1.2 s is 15 frames, though (0.8 + 0.4) * 12.5 is 15.000000000000002 in doubles.
    int frames = (int) Math.ceil((seconds + warmUpSeconds) * ModelAudio.FRAME_RATE - 1e-9);
    PrintWriter err = spec.commandLine().getErr();
    err.printf(
        Locale.ROOT,
        "%d sessions stream %s s each: %s s of warm-up (--warmup-seconds, not measured),"
            + " then %s s measured%n",
        sessions,
        plain(seconds + warmUpSeconds),
        plain(warmUpSeconds),
        plain(seconds));
    err.flush();
    Map<String, Object> result =
        transport == Transport.grpc ? grpc(signal, frames) : ws(signal, frames);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(new ObjectMapper().writeValueAsString(result));
    } else {
      result.forEach(
          (k, v) ->
              out.println(
                  k + ": " + (v instanceof Double d ? String.format(Locale.ROOT, "%.2f", d) : v)));
    }
    out.flush();
    List<?> errors = (List<?>) result.get("errors");
    if (!errors.isEmpty()) {
      err.printf(
          "parley: %d of %d sessions failed (first: %s)%n", errors.size(), sessions, errors.get(0));
      return ParleyCli.EXIT_SERVER_ERROR;
    }
    return 0;
  }

  private Map<String, Object> grpc(float[] signal, int frames) throws Exception {
    ConversationOptions.Builder o = ConversationOptions.builder().frameTiming(true);
    sampling.applyTo(o);
    List<GrpcBenchSession> all = new ArrayList<>();
    try (ParleyClient client = cli.client()) {
      for (int s = 0; s < sessions; s++) {
        all.add(new GrpcBenchSession(client, o.build()));
      }
      stream(
          signal,
          frames,
          frame -> all.forEach(s -> s.send(frame)),
          () ->
              String.format(
                  Locale.ROOT,
                  "%d sessions, %d frames back",
                  all.size(),
                  all.stream().mapToInt(GrpcBenchSession::outputFrames).sum()));
      all.forEach(GrpcBenchSession::markStreamEnd);
      for (GrpcBenchSession s : all) {
        s.finish(Duration.ofSeconds(30));
      }
    }
    Map<String, Object> r = header(frames);
    long misses = 0;
    long endFrames = 0;
    long endInputFrames = 0;
    List<String> errors = new ArrayList<>();
    for (GrpcBenchSession s : all) {
      if (s.end() != null) {
        misses += s.end().getDeadlineMisses();
        endFrames += s.end().getFrames();
        endInputFrames += s.end().getInputFrames();
      }
      if (s.error() != null) {
        errors.add(s.error().getMessage());
      }
    }
    r.put("frames_in", all.stream().mapToLong(GrpcBenchSession::inputFrames).sum());
    r.put(
        "frames_out",
        all.stream()
            .mapToLong(GrpcBenchSession::outputFrames)
            .sum()); // whole frames of audio received
    r.put("end_frames", endFrames); // output frames, as the server's End messages report them
    r.put(
        "end_input_frames", endInputFrames); // input frames the server consumed (End.input_frames)
    // Per-frame series are in frame order: the warm-up's frames are left out, and so are its
    // misses (the steps each frame reports over 80 ms), so misses and step_ms cover one stretch.
    int skip = (int) Math.round(warmUpSeconds * ModelAudio.FRAME_RATE);
    double deadlineMs = ModelAudio.FRAME_NANOS / 1e6;
    r.put(
        "deadline_misses",
        all.stream()
            .flatMapToDouble(s -> after(skip, s.stepTimes()))
            .filter(ms -> ms > deadlineMs)
            .count());
    r.put("deadline_misses_with_warmup", misses); // the server's own count (End.deadline_misses)
    putPercentiles(
        r,
        "server_latency_ms",
        all.stream().flatMapToDouble(s -> after(skip, s.serverLatencies())).toArray());
    putPercentiles(
        r,
        "client_latency_ms",
        all.stream().flatMapToDouble(s -> after(skip, s.clientLatencies())).toArray());
    putPercentiles(
        r, "step_ms", all.stream().flatMapToDouble(s -> after(skip, s.stepTimes())).toArray());
    r.put(
        "real_time_factor",
        mean(all.stream().mapToDouble(GrpcBenchSession::realTimeFactor).toArray()));
    r.put("errors", errors);
    return r;
  }

  private Map<String, Object> ws(float[] signal, int frames) throws Exception {
    KyutaiChatOptions.Builder o = KyutaiChatOptions.builder().apiKey(cli.apiKey);
    sampling.applyTo(o);
    List<WsBenchSession> all = new ArrayList<>();
    for (int s = 0; s < sessions; s++) {
      all.add(new WsBenchSession(wsUrl, o.build()));
    }
    stream(
        signal,
        frames,
        frame -> all.forEach(s -> s.send(frame)),
        () ->
            String.format(
                Locale.ROOT,
                "%d sessions, %.1f s of audio back",
                all.size(),
                ModelAudio.seconds(all.stream().mapToLong(WsBenchSession::outSamples).sum())));
    all.forEach(WsBenchSession::markStreamEnd);
    long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    for (WsBenchSession s : all) {
      s.finish(deadline);
    }
    Map<String, Object> r = header(frames);
    r.put("frames_in", all.stream().mapToLong(WsBenchSession::inSamples).sum() / FRAME);
    r.put("frames_out", all.stream().mapToLong(WsBenchSession::outSamples).sum() / FRAME);
    r.put("text_pieces", all.stream().mapToLong(WsBenchSession::textPieces).sum());
    putPercentiles(
        r,
        "first_audio_ms",
        all.stream()
            .mapToDouble(WsBenchSession::firstAudioMs)
            .filter(x -> !Double.isNaN(x))
            .toArray());
    r.put(
        "real_time_factor",
        mean(all.stream().mapToDouble(WsBenchSession::realTimeFactor).toArray()));
    r.put("errors", all.stream().map(WsBenchSession::error).filter(e -> e != null).toList());
    r.put(
        "note",
        "server latency and deadline misses are not carried by /api/chat; use --transport grpc for them");
    return r;
  }

  /** Sends frame k of the looped signal to every session at t0 + k·80 ms. */
  private void stream(
      float[] signal,
      int frames,
      Consumer<float[]> sendToAll,
      java.util.function.Supplier<String> status)
      throws InterruptedException {
    ScheduledExecutorService clock =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "parley-bench-clock");
              t.setDaemon(true);
              return t;
            });
    AtomicInteger next = new AtomicInteger();
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    // A bar redraws one line with carriage returns: only for a person at a terminal, not a log.
    ProgressBar bar =
        noProgress || System.console() == null
            ? null
            : new ProgressBar(spec.commandLine().getErr(), frames / ModelAudio.FRAME_RATE, status);
    try {
      clock.scheduleAtFixedRate(
          () -> {
            int k = next.getAndIncrement();
            if (k >= frames) {
              done.countDown();
              return;
            }
            sendToAll.accept(frameOf(signal, k));
          },
          0,
          80,
          TimeUnit.MILLISECONDS);
      done.await();
    } finally {
      clock.shutdownNow();
      if (bar != null) {
        bar.close();
      }
    }
  }

  private static float[] frameOf(float[] signal, int k) {
    float[] f = new float[FRAME];
    long start = (long) k * FRAME;
    for (int i = 0; i < FRAME; i++) {
      f[i] = signal[(int) ((start + i) % signal.length)];
    }
    return f;
  }

  private Map<String, Object> header(int frames) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("transport", transport.name());
    r.put("target", transport == Transport.grpc ? cli.server : wsUrl.toString());
    r.put("sessions", sessions);
    r.put("seconds", frames / ModelAudio.FRAME_RATE);
    r.put("warmup_seconds", warmUpSeconds);
    return r;
  }

  /** 0.4, 20, 1.2: seconds as a person writes them. */
  private static String plain(double seconds) {
    return java.math.BigDecimal.valueOf(seconds)
        .setScale(3, java.math.RoundingMode.HALF_UP)
        .stripTrailingZeros()
        .toPlainString();
  }

  private static DoubleStream after(int skip, double[] series) {
    return DoubleStream.of(series).skip(skip);
  }

  private static void putPercentiles(Map<String, Object> r, String name, double[] values) {
    Percentiles p = new Percentiles(values);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", p.count());
    if (p.count() > 0) {
      m.put("p50", p.at(50));
      m.put("p99", p.at(99));
      m.put("max", p.max());
    }
    r.put(name, m);
  }

  private static double mean(double[] values) {
    return Arrays.stream(values).filter(x -> !Double.isNaN(x)).average().orElse(Double.NaN);
  }

  private static float[] load(Path path) throws java.io.IOException {
    WavAudio wav = WavReader.read(path);
    return wav.sampleRate() == ModelAudio.SAMPLE_RATE
        ? wav.samples()
        : StreamingResampler.resample(wav.samples(), wav.sampleRate(), ModelAudio.SAMPLE_RATE);
  }
}
