package dev.parley.server.bench;

import dev.parley.server.ParleyServer;
import dev.parley.server.dialogue.DialogueEngine;
import dev.parley.server.dialogue.DialogueListener;
import dev.parley.server.dialogue.DialogueOptions;
import dev.parley.server.dialogue.DialoguePrompt;
import dev.parley.server.dialogue.DialogueSession;
import dev.parley.server.dialogue.OutputFrame;
import dev.parley.server.persona.PersonaPlexConfig;
import dev.parley.server.persona.PromptSteps;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Live sessions while another one prefills a long prompt: N /api/chat clients stream on an 80 ms
 * clock; after a measured window one more session opens on the engine with a voice and text prompt
 * (it sends no audio; only its prefill matters here). The live sessions' frame latency, audio
 * inter-arrival at the clients, step times and deadline misses are reported for the window before
 * the join, the prefill itself, and a window after it. (A window's step count may miss its last
 * step by one: the engine counts a step once its events, the prompt-done one included, are out.)
 */
public final class PromptJoinBench {
  private PromptJoinBench() {}

  /** The longest a prefill may take before the benchmark gives up. */
  static final long PREFILL_LIMIT_SECONDS = 120;

  /** The live sessions' figures over one window. */
  public record Window(
      String name,
      double seconds,
      long frames,
      LatencyStats latency,
      LatencyStats interArrival,
      LatencyStats step,
      long steps,
      long deadlineMisses) {
    public String line(int sessions, int promptSteps) {
      return String.format(
          Locale.ROOT,
          "bench=chat-prompt window=%s sessions=%d prompt_steps=%d seconds=%.1f frames=%d steps=%d "
              + "latency_p50_ms=%.2f latency_p99_ms=%.2f latency_max_ms=%.2f "
              + "interarrival_p50_ms=%.2f interarrival_p99_ms=%.2f interarrival_max_ms=%.2f "
              + "step_p50_ms=%.2f step_p99_ms=%.2f step_max_ms=%.2f deadline_misses=%d",
          name,
          sessions,
          promptSteps,
          seconds,
          frames,
          steps,
          latency.p50(),
          latency.p99(),
          latency.percentile(100),
          interArrival.p50(),
          interArrival.p99(),
          interArrival.percentile(100),
          step.p50(),
          step.p99(),
          step.percentile(100),
          deadlineMisses);
    }
  }

  public record Result(int sessions, int promptSteps, List<Window> windows) {
    public List<String> lines() {
      return windows.stream().map(w -> w.line(sessions, promptSteps)).toList();
    }
  }

  /**
   * Teacher-forced steps of {@code prompt} on {@code engine}'s model, counted from the prompt's
   * definition: one per voice frame (the last one padded), two silences, one per text token.
   */
  public static int promptSteps(DialogueEngine engine, DialoguePrompt prompt) {
    PersonaPlexConfig pp = engine.model().personaPlex().orElseThrow();
    int voice =
        prompt.voice() == null ? 0 : (prompt.voice().length + pp.frameSize() - 1) / pp.frameSize();
    int text =
        prompt.text() == null
            ? 0
            : engine
                .model()
                .tokenizer()
                .encode(PromptSteps.wrapWithSystemTags(prompt.text()))
                .length;
    return voice + 2 * pp.silenceFrames() + text;
  }

  /** What the benchmark reads at each window boundary. */
  private record Mark(long nanos, long steps, long misses, long[][] frames, long[][] stepTimes) {}

  public static Result run(
      ParleyServer server,
      int sessions,
      double windowSeconds,
      double warmUpSeconds,
      DialoguePrompt prompt)
      throws Exception {
    DialogueEngine engine = server.engine();
    if (!engine.acceptsPrompts()) {
      throw new IllegalArgumentException(
          "model "
              + engine.model().name()
              + " takes no prompt: use --model demo-personaplex or a PersonaPlex checkpoint");
    }
    int promptSteps = promptSteps(engine, prompt);
    AtomicLong received = new AtomicLong();
    List<ConcurrentLinkedQueue<Long>> arrivals = new ArrayList<>();
    List<LoadClient> clients = new ArrayList<>();
    for (int s = 0; s < sessions; s++) {
      ConcurrentLinkedQueue<Long> a = new ConcurrentLinkedQueue<>();
      arrivals.add(a);
      clients.add(new WebSocketLoadClient(server.port(), received, a::add));
    }
    double audioSeconds = warmUpSeconds + 2 * windowSeconds + PREFILL_LIMIT_SECONDS + 1;
    List<Mark> marks = new ArrayList<>();
    DialogueSession joiner = null;
    LoadStream stream = new LoadStream(clients, audioSeconds);
    try {
      Thread.sleep((long) (warmUpSeconds * 1000));
      server.metrics().captureFrameLatencies(true);
      marks.add(mark(server));
      Thread.sleep((long) (windowSeconds * 1000));
      CompletableFuture<Void> done = new CompletableFuture<>();
      marks.add(mark(server));
      joiner = engine.open(DialogueOptions.defaults(1).withPrompt(prompt), listener(done));
      done.get(PREFILL_LIMIT_SECONDS, TimeUnit.SECONDS);
      marks.add(mark(server));
      Thread.sleep((long) (windowSeconds * 1000));
      marks.add(mark(server));
    } finally {
      stream.close();
      server.metrics().captureFrameLatencies(false);
      if (joiner != null) {
        joiner.close();
      }
      for (LoadClient c : clients) {
        c.close();
      }
    }
    String[] names = {"before", "prefill", "after"};
    List<Window> windows = new ArrayList<>();
    for (int w = 0; w < names.length; w++) {
      Mark from = marks.get(w);
      Mark to = marks.get(w + 1);
      windows.add(
          new Window(
              names[w],
              (to.nanos() - from.nanos()) / 1e9,
              to.frames()[0].length,
              new LatencyStats(to.frames()[0]),
              new LatencyStats(interArrivals(arrivals, from.nanos(), to.nanos())),
              new LatencyStats(to.stepTimes()[3]),
              to.steps() - from.steps(),
              to.misses() - from.misses()));
    }
    return new Result(sessions, promptSteps, windows);
  }

  /** Counters now; the frame and step samples are those since the previous mark. */
  private static Mark mark(ParleyServer server) {
    return new Mark(
        System.nanoTime(),
        server.engine().steps(),
        server.engine().deadlineMisses(),
        server.metrics().drainFrameTimes(),
        server.metrics().drainStepTimes());
  }

  /** Gaps between each client's consecutive audio messages whose second one came in [from, to). */
  static long[] interArrivals(List<? extends Iterable<Long>> clients, long from, long to) {
    List<Long> gaps = new ArrayList<>();
    for (Iterable<Long> times : clients) {
      long previous = -1;
      for (long t : times) {
        if (previous >= 0 && t >= from && t < to) {
          gaps.add(t - previous);
        }
        previous = t;
      }
    }
    return gaps.stream().mapToLong(Long::longValue).toArray();
  }

  private static DialogueListener listener(CompletableFuture<Void> done) {
    return new DialogueListener() {
      @Override
      public void onFrame(OutputFrame frame) {}

      @Override
      public void onPromptDone() {
        done.complete(null);
      }

      @Override
      public void onClosed(String reason) {
        done.completeExceptionally(
            new IllegalStateException("the prompted session closed: " + reason));
      }
    };
  }

  /** A voice prompt for the benchmark when none is given: {@code seconds} of the load tone. */
  public static float[] toneVoice(double seconds) {
    return LoadStream.tone(Math.min(seconds, DialoguePrompt.MAX_VOICE_SECONDS));
  }
}
