package dev.parley.server.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.mimi.MimiConfig;
import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.torch.TorchRuntime;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.engine.EngineObserver;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.KyutaiModelConfig;
import dev.parley.server.tts.SynthesisModel;
import dev.parley.server.tts.TtsConfig;
import dev.parley.server.tts.TtsEngine;
import dev.parley.server.tts.TtsListener;
import dev.parley.server.tts.TtsModel;
import dev.parley.server.tts.TtsOptions;
import dev.parley.server.tts.TtsSettings;
import dev.parley.server.tts.TtsSummary;
import dev.parley.server.tts.Voice;
import dev.parley.server.tts.VoiceLibrary;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Text-to-speech speed through an in-process {@link TtsEngine}: whole scripts (as {@code POST
 * /api/tts} and {@code Synthesize} give them) of a fixed number of words, several at once.
 *
 * <p>Two measurements:
 *
 * <ul>
 *   <li><b>Step time by batch</b> ({@link #stepsAtBatch}): B syntheses in an engine of B slots; the
 *       engine's own step timings ({@link EngineObserver#stepTimed}) of the steps in which all B
 *       sessions produced audio: whole step, LM part, Mimi decode part.
 *   <li><b>Streams</b> ({@link #streams}): N syntheses started together, for several rounds. Per
 *       stream: time to first audio (first text → first 80 ms frame handed to the listener, the
 *       engine's {@link TtsSummary#firstAudioNanos}), decomposed into the compute of the steps
 *       before it ({@link TtsSummary#computeNanosToFirstAudio}) and the rest (the overhead Parley
 *       adds: waiting before the first step, the session's start, time between steps); real-time
 *       factor (audio seconds over the wall time from first text to the end); and the worst lag of
 *       a frame behind a playback that starts at the first frame (0: the listener never waits).
 * </ul>
 *
 * <p>Steps are not tied to the 80 ms clock: with the whole text known every session steps as fast
 * as compute allows, so first audio should take {@code delay_steps + max acoustic delay + 1} steps
 * (the first frames hold no audio) plus one Mimi decode, and nothing else.
 */
public final class TtsBench {
  /**
   * A TTS-shaped "small" model: the structure of {@code kyutai/tts-1.6b-en_fr} (cross-attention on
   * a 512-wide voice of 125 steps, demuxed second text stream 2 words ahead, CFG-distilled {@code
   * cfg} and {@code control} conditions, low-rank depformer embeddings with a shared-weights
   * schedule, acoustic delay 2, text leading audio by 1.28 s = 16 steps, text card 8000) at the
   * width of {@code bench lm --config small}'s neighbourhood (dim 512 × 8 layers instead of 2048 ×
   * 16; depformer 256 × 4 instead of 1024 × 4; 16 codebooks instead of 32) and the real Mimi
   * (Kyutai's released configuration, 16 codebooks decoded).
   */
  public static final String SMALL_CONFIG =
      """
      {"dim": 512, "text_card": 8000, "existing_text_padding_id": 3, "n_q": 16, "dep_q": 16, "card": 2048,
       "num_heads": 8, "num_layers": 8, "hidden_scale": 4.125, "causal": true, "layer_scale": null,
       "context": 500, "max_period": 10000, "gating": "silu", "norm": "rms_norm_f32",
       "positional_embedding": "rope", "depformer_dim": 256, "depformer_num_heads": 4,
       "depformer_num_layers": 4, "depformer_dim_feedforward": 768, "depformer_multi_linear": true,
       "depformer_pos_emb": "none", "depformer_weights_per_step": true,
       "depformer_low_rank_embeddings": 64,
       "depformer_weights_per_step_schedule": [0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8, 9, 9, 9, 9],
       "demux_second_stream": true, "text_card_out": null, "cross_attention": true,
       "delays": [0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
       "conditioners": {
         "speaker_wavs": {"type": "tensor", "tensor": {"dim": 512}},
         "cfg": {"type": "lut", "lut": {"n_bins": 7, "dim": 16, "tokenizer": "noop",
                 "possible_values": ["1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0"]}},
         "control": {"type": "lut", "lut": {"n_bins": 1, "dim": 512, "tokenizer": "noop", "possible_values": ["ok"]}}},
       "fuser": {"cross_attention_pos_emb": true, "cross_attention_pos_emb_scale": 1, "sum": ["control", "cfg"],
                 "prepend": [], "cross": ["speaker_wavs"]},
       "tts_config": {"audio_delay": 1.28, "second_stream_ahead": 2},
       "model_id": {"sig": "small001", "epoch": 1}, "model_type": "tts"}""";

  /** Voice embeddings of the small model: {@code [1, 512, 125]}, as {@code kyutai/tts-voices}. */
  static final int SMALL_VOICE_DIM = 512;

  static final int SMALL_VOICE_STEPS = 125;

  /** A step whose Mimi part took longer than this decoded audio (otherwise it is a few µs). */
  static final long DECODED_STEP_NANOS = 100_000;

  static final double FRAME_SECONDS = 1 / TtsConfig.FRAME_RATE;

  private static final String[] WORDS =
      ("the voice you hear was written a moment ago by a small program that "
              + "turns text into speech one word at a time while the listener waits for the first sound and then "
              + "follows along as the sentences keep coming in real time so every stream must stay ahead of its "
              + "playback from the first frame to the last one without a single gap in the audio")
          .split(" ");

  private TtsBench() {}

  /**
   * {@code demo} (the built-in demo-tts) or {@code small} ({@link #SMALL_CONFIG}), random weights.
   */
  public static SynthesisModel model(String name, Device device) {
    return model(name, device, /* classicCfg= */ false);
  }

  /**
   * As {@link #model(String, Device)}; {@code classicCfg}: the configuration without its {@code
   * cfg} condition, so every session is guided the classic way (two rows of the batch).
   */
  public static SynthesisModel model(String name, Device device, boolean classicCfg) {
    return switch (name) {
      case "demo" -> SynthesisModel.demo(device, classicCfg);
      case "small" -> small(device, classicCfg);
      default -> throw new IllegalArgumentException("unknown config " + name + ": demo or small");
    };
  }

  /**
   * {@link #SMALL_CONFIG} with seeded random weights, the real Mimi (random), the demo tokenizer.
   */
  public static SynthesisModel small(Device device) {
    return small(device, /* classicCfg= */ false);
  }

  /** As {@link #small(Device)}, without the {@code cfg} condition when {@code classicCfg}. */
  public static SynthesisModel small(Device device, boolean classicCfg) {
    NDManager m = TorchRuntime.newManager(device);
    try {
      com.fasterxml.jackson.databind.JsonNode json = new ObjectMapper().readTree(SMALL_CONFIG);
      TtsConfig cfg =
          TtsConfig.from(
              KyutaiModelConfig.parse(
                  classicCfg ? SynthesisModel.withoutCfgCondition(json) : json));
      MimiModel mimi = MimiModel.random(MimiConfig.kyutai().withCodebooks(cfg.lm().depQ()), m, 11);
      TtsModel tts = TtsModel.random(cfg, m, 12, DataType.FLOAT32);
      SplittableRandom r = new SplittableRandom(13);
      List<Voice> voices = new ArrayList<>();
      for (String n : List.of("small-a", "small-b")) {
        float[] w = new float[SMALL_VOICE_DIM * SMALL_VOICE_STEPS];
        for (int i = 0; i < w.length; i++) {
          w[i] = (float) (r.nextDouble() * 2 - 1);
        }
        voices.add(new Voice(n, "builtin", w, SMALL_VOICE_DIM, SMALL_VOICE_STEPS));
      }
      return new SynthesisModel(
          "small-tts",
          tts,
          mimi,
          DemoModel.tokenizer(),
          VoiceLibrary.builtin(voices, "small-a"),
          m,
          false);
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e instanceof RuntimeException re
          ? re
          : new java.io.UncheckedIOException((IOException) e);
    }
  }

  /** Steps before the first audio frame: {@code delay_steps + max acoustic delay + 1}. */
  public static int expectedStepsToFirstAudio(TtsConfig c) {
    return c.delaySteps() + c.lm().maxDelay() + 1;
  }

  /** {@code words} words of plain English, a different passage for each {@code index}. */
  static String text(int index, int words) {
    StringBuilder b = new StringBuilder();
    int start = (int) ((index * 7919L) % WORDS.length);
    for (int i = 0; i < words; i++) {
      if (i > 0) {
        b.append(' ');
      }
      b.append(WORDS[(start + i) % WORDS.length]);
    }
    return b.append('.').toString();
  }

  // ---------------------------------------------------------------- step time by batch

  /** Median step times at one batch size (steps in which every session produced audio). */
  public record StepRow(
      String config,
      int batch,
      int steps,
      LatencyStats total,
      LatencyStats lm,
      LatencyStats decode) {

    /** The Mimi decode's share of the step (medians). */
    public double decodeShare() {
      return decode.p50() / total.p50();
    }

    public String line(double batch1P50) {
      return String.format(
          Locale.ROOT,
          "bench=tts-step config=%s batch=%d steps=%d step_p50_ms=%.2f step_p90_ms=%.2f lm_p50_ms=%.2f "
              + "decode_p50_ms=%.2f decode_share=%.2f per_stream_ms=%.2f ratio_to_batch1=%.2f",
          config,
          batch,
          steps,
          total.p50(),
          total.percentile(90),
          lm.p50(),
          decode.p50(),
          decodeShare(),
          total.p50() / batch,
          total.p50() / batch1P50);
    }
  }

  /**
   * {@code batch} syntheses of {@code words} words in an engine of as many slots, after {@code
   * warmup} unmeasured rounds of the same; the steps with all {@code batch} sessions in them that
   * decoded audio.
   */
  public static StepRow stepsAtBatch(
      String name, SynthesisModel model, TtsSettings settings, int batch, int words, int warmup)
      throws InterruptedException {
    StepLog log = new StepLog();
    try (TtsEngine engine = new TtsEngine(model, settings, batch, log)) {
      for (int w = 0; w < warmup; w++) {
        round(engine, batch, words, 1000 + w);
      }
      log.clear();
      round(engine, batch, words, 0);
      List<long[]> steps = new ArrayList<>();
      for (long[] s : log.snapshot()) {
        if (s[StepLog.BATCH] == batch && s[StepLog.DECODE] > DECODED_STEP_NANOS) {
          steps.add(s);
        }
      }
      return new StepRow(
          name,
          batch,
          steps.size(),
          stats(steps, StepLog.TOTAL),
          stats(steps, StepLog.LM),
          stats(steps, StepLog.DECODE));
    }
  }

  // ---------------------------------------------------------------- streams

  /**
   * Concurrent syntheses: time to first audio and its decomposition, real-time factor and lag.
   *
   * @param ttfa first text → first audio frame handed to the listener (the engine's measure)
   * @param compute the wall time of the steps before the first frame (engine's sum)
   * @param overhead {@code ttfa - compute}: what Parley adds to the model's compute
   * @param beforeFirstStep text pushed → the session's first step starts (waiting for a running
   *     step, the session's start: conditions and cross-attention keys), NaN where the session's
   *     steps could not be told apart in the engine's step log
   * @param betweenSteps the rest of the overhead: the loop between the session's steps
   * @param textOnlySteps the compute before the first frame, split: the first {@code delay_steps}
   *     steps (text only, no depformer: the audio is not due yet), ...
   * @param audioStepsLm ... the LM part of the remaining steps (with the depformer) ...
   * @param firstDecode ... and the Mimi decode of the first frame
   * @param stepsToFirstAudio steps the sessions ran before their first frame
   * @param lm per step of the run that decoded audio (steady state): the LM part; {@code decode}
   *     and {@code stepTotal} of the same steps
   * @param rtf per stream: audio seconds / wall seconds (first text → end)
   * @param lagMs per stream: the most any frame came after its playback time, playback starting at
   *     the first frame (0: never behind)
   */
  public record StreamRun(
      String config,
      int streams,
      int slots,
      int rounds,
      int words,
      int expectedSteps,
      LatencyStats ttfa,
      LatencyStats compute,
      LatencyStats overhead,
      LatencyStats beforeFirstStep,
      LatencyStats betweenSteps,
      LatencyStats textOnlySteps,
      LatencyStats audioStepsLm,
      LatencyStats firstDecode,
      long[] stepsToFirstAudio,
      LatencyStats lm,
      LatencyStats decode,
      LatencyStats stepTotal,
      LatencyStats stepCpu,
      double meanBatch,
      double[] rtf,
      double[] lagMs,
      double audioSeconds,
      int failed) {

    /**
     * The goal's estimate, an upper bound: the expected steps at this run's steady-state LM time
     * (the first {@code delay_steps} are cheaper: no depformer), plus one Mimi decode.
     */
    public double predictedMs() {
      return expectedSteps * lm.p50() + decode.p50();
    }

    public double rtfMin() {
      return Arrays.stream(rtf).min().orElse(Double.NaN);
    }

    public double maxLagMs() {
      return Arrays.stream(lagMs).max().orElse(Double.NaN);
    }

    /** Streams whose playback would have stalled (a frame more than 1 ms late). */
    public long stalled() {
      return Arrays.stream(lagMs).filter(l -> l > 1).count();
    }

    /** Every stream faster than real time, never behind its playback, none failed. */
    public boolean ahead() {
      return failed == 0 && rtf.length > 0 && rtfMin() > 1 && stalled() == 0;
    }

    public String line() {
      long minSteps = Arrays.stream(stepsToFirstAudio).min().orElse(-1);
      long maxSteps = Arrays.stream(stepsToFirstAudio).max().orElse(-1);
      double[] sortedRtf = rtf.clone();
      Arrays.sort(sortedRtf);
      double rtfP50 = sortedRtf.length == 0 ? Double.NaN : sortedRtf[(sortedRtf.length - 1) / 2];
      return String.format(
          Locale.ROOT,
          "bench=tts-streams config=%s streams=%d slots=%d rounds=%d words=%d audio_s=%.1f "
              + "ttfa_p50_ms=%.1f ttfa_p90_ms=%.1f ttfa_max_ms=%.1f steps_to_first_audio=%s expected_steps=%d "
              + "compute_p50_ms=%.1f text_only_steps_p50_ms=%.1f audio_steps_lm_p50_ms=%.1f "
              + "first_decode_p50_ms=%.1f predicted_ms=%.1f overhead_p50_ms=%.1f overhead_max_ms=%.1f "
              + "before_first_step_p50_ms=%.1f between_steps_p50_ms=%.1f lm_p50_ms=%.2f decode_p50_ms=%.2f "
              + "step_p50_ms=%.2f mean_batch=%.2f rtf_min=%.2f rtf_p50=%.2f max_lag_ms=%.1f stalled=%d failed=%d "
              + "ahead=%s step_cpu_p50_ms=%.2f",
          config,
          streams,
          slots,
          rounds,
          words,
          audioSeconds,
          ttfa.p50(),
          ttfa.percentile(90),
          ttfa.percentile(100),
          minSteps == maxSteps ? String.valueOf(minSteps) : minSteps + "-" + maxSteps,
          expectedSteps,
          compute.p50(),
          textOnlySteps.p50(),
          audioStepsLm.p50(),
          firstDecode.p50(),
          predictedMs(),
          overhead.p50(),
          overhead.percentile(100),
          beforeFirstStep.p50(),
          betweenSteps.p50(),
          lm.p50(),
          decode.p50(),
          stepTotal.p50(),
          meanBatch,
          rtfMin(),
          rtfP50,
          maxLagMs(),
          stalled(),
          failed,
          ahead() ? "yes" : "no",
          stepCpu.p50());
    }
  }

  /**
   * {@code rounds} rounds of {@code streams} syntheses of {@code words} words started together in
   * an engine of {@code slots} slots, after {@code warmup} unmeasured rounds.
   */
  public static StreamRun streams(
      String name,
      SynthesisModel model,
      TtsSettings settings,
      int streams,
      int slots,
      int words,
      int rounds,
      int warmup)
      throws InterruptedException {
    if (streams < 1 || slots < streams || rounds < 1 || words < 1) {
      throw new IllegalArgumentException("need 1 <= streams <= slots, rounds >= 1 and words >= 1");
    }
    StepLog log = new StepLog();
    List<Long> ttfa = new ArrayList<>();
    List<Long> compute = new ArrayList<>();
    List<Long> overhead = new ArrayList<>();
    List<Long> before = new ArrayList<>();
    List<Long> between = new ArrayList<>();
    List<Long> stepsToFirst = new ArrayList<>();
    List<Long> textSteps = new ArrayList<>();
    List<Long> audioSteps = new ArrayList<>();
    List<Long> firstDecode = new ArrayList<>();
    int delaySteps = model.config().delaySteps();
    List<Double> rtf = new ArrayList<>();
    List<Double> lag = new ArrayList<>();
    List<long[]> allSteps = new ArrayList<>();
    List<Long> stepCpu = new ArrayList<>();
    double audio = 0;
    int failed = 0;
    try (TtsEngine engine = new TtsEngine(model, settings, slots, log)) {
      for (int w = 0; w < warmup; w++) {
        round(engine, streams, words, 1000 + w);
      }
      for (int r = 0; r < rounds; r++) {
        log.clear();
        List<Stream> done = round(engine, streams, words, r * streams);
        List<long[]> steps = log.snapshot();
        allSteps.addAll(steps);
        for (int i = 1; i < steps.size(); i++) {
          if (steps.get(i)[StepLog.DECODE] > DECODED_STEP_NANOS) {
            // the loop's CPU from the previous step's end to this one's: the step and its select
            stepCpu.add(steps.get(i)[StepLog.CPU] - steps.get(i - 1)[StepLog.CPU]);
          }
        }
        for (Stream st : done) {
          TtsSummary s = st.summary;
          if (st.failure != null || s == null || st.firstAudio < 0) {
            failed++;
            continue;
          }
          ttfa.add(s.firstAudioNanos());
          compute.add(s.computeNanosToFirstAudio());
          overhead.add(s.firstAudioNanos() - s.computeNanosToFirstAudio());
          stepsToFirst.add(s.stepsToFirstAudio());
          int[] span = stepsBeforeFirstAudio(steps, st.firstAudio, s);
          if (span != null) {
            long[] f = steps.get(span[0]);
            long firstStart = f[StepLog.END] - f[StepLog.TOTAL];
            before.add(firstStart - st.submitted);
            between.add(st.firstAudio - firstStart - s.computeNanosToFirstAudio());
            long text = 0;
            long audioLm = 0;
            for (int i = span[0]; i <= span[1]; i++) {
              long[] step = steps.get(i);
              if (i - span[0] < delaySteps) {
                text += step[StepLog.TOTAL];
              } else {
                audioLm += step[StepLog.LM];
              }
            }
            textSteps.add(text);
            audioSteps.add(audioLm);
            firstDecode.add(steps.get(span[1])[StepLog.DECODE]);
          }
          rtf.add(s.audioSeconds() / ((st.ended - st.submitted) / 1e9));
          lag.add(st.maxLagNanos() / 1e6);
          audio += s.audioSeconds();
        }
      }
    }
    List<long[]> decoded = new ArrayList<>();
    double batchSum = 0;
    for (long[] s : allSteps) {
      batchSum += s[StepLog.BATCH];
      if (s[StepLog.DECODE] > DECODED_STEP_NANOS) {
        decoded.add(s);
      }
    }
    int ok = streams * rounds - failed;
    return new StreamRun(
        name,
        streams,
        slots,
        rounds,
        words,
        expectedStepsToFirstAudio(model.config()),
        new LatencyStats(longs(ttfa)),
        new LatencyStats(longs(compute)),
        new LatencyStats(longs(overhead)),
        new LatencyStats(longs(before)),
        new LatencyStats(longs(between)),
        new LatencyStats(longs(textSteps)),
        new LatencyStats(longs(audioSteps)),
        new LatencyStats(longs(firstDecode)),
        longs(stepsToFirst),
        stats(decoded, StepLog.LM),
        stats(decoded, StepLog.DECODE),
        stats(decoded, StepLog.TOTAL),
        new LatencyStats(longs(stepCpu)),
        allSteps.isEmpty() ? 0 : batchSum / allSteps.size(),
        rtf.stream().mapToDouble(Double::doubleValue).toArray(),
        lag.stream().mapToDouble(Double::doubleValue).toArray(),
        ok == 0 ? 0 : audio / ok,
        failed);
  }

  /**
   * The session's steps up to its first frame, as indices into the engine's step log: with its
   * whole text known a session is in every step from its first, so its first frame came from the
   * last step that ended before the frame, and its first step is {@code stepsToFirstAudio - 1}
   * steps earlier. Checked against the engine's own sum of those steps' times; null when they
   * disagree.
   */
  static int[] stepsBeforeFirstAudio(List<long[]> steps, long firstAudio, TtsSummary s) {
    int last = -1;
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i)[StepLog.END] <= firstAudio) {
        last = i;
      }
    }
    int first = last - (int) s.stepsToFirstAudio() + 1;
    if (last < 0 || first < 0) {
      return null;
    }
    long sum = 0;
    for (int i = first; i <= last; i++) {
      sum += steps.get(i)[StepLog.TOTAL];
    }
    return Math.abs(sum - s.computeNanosToFirstAudio()) > 1000 ? null : new int[] {first, last};
  }

  /** Starts {@code n} syntheses together and waits for all of them. */
  static List<Stream> round(TtsEngine engine, int n, int words, int textIndex)
      throws InterruptedException {
    CountDownLatch done = new CountDownLatch(n);
    List<Stream> streams = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      streams.add(new Stream(done));
    }
    String[] texts = new String[n];
    for (int i = 0; i < n; i++) {
      texts[i] = text(textIndex + i, words);
    }
    for (int i = 0; i < n; i++) {
      Stream st = streams.get(i);
      st.submitted = System.nanoTime();
      try {
        engine.synthesize(
            List.of(texts[i]), TtsOptions.defaults().withSampling(null, 17L + textIndex + i), st);
      } catch (EngineFullException e) {
        throw new IllegalStateException("engine full: a previous round's session is still open", e);
      }
    }
    if (!done.await(30, TimeUnit.MINUTES)) {
      throw new IllegalStateException("syntheses did not finish in 30 minutes");
    }
    for (Stream st : streams) {
      if (st.failure != null) {
        System.err.println("tts bench synthesis failed: " + st.failure);
      }
    }
    return streams;
  }

  private static LatencyStats stats(List<long[]> steps, int column) {
    long[] v = new long[steps.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = steps.get(i)[column];
    }
    return new LatencyStats(v);
  }

  private static long[] longs(List<Long> values) {
    return values.stream().mapToLong(Long::longValue).toArray();
  }

  /** The engine's step timings, in order (recorded on the engine thread). */
  static final class StepLog implements EngineObserver {
    static final int END = 0;
    static final int BATCH = 1;
    static final int LM = 2;
    static final int DECODE = 3;
    static final int TOTAL = 4;
    static final int CPU = 5; // the engine thread's CPU time at the step's end
    private final List<long[]> steps = new ArrayList<>();

    @Override
    public void stepTimed(
        int batch, long encodeNanos, long lmNanos, long decodeNanos, long totalNanos) {
      long now = System.nanoTime();
      long cpu = EngineThreadCpu.current();
      synchronized (this) {
        steps.add(new long[] {now, batch, lmNanos, decodeNanos, totalNanos, cpu});
      }
    }

    synchronized void clear() {
      steps.clear();
    }

    synchronized List<long[]> snapshot() {
      return new ArrayList<>(steps);
    }
  }

  /** One synthesis as its listener sees it (every call on the engine thread). */
  static final class Stream implements TtsListener {
    private final CountDownLatch done;
    volatile long submitted;
    volatile long firstAudio = -1;
    private long[] frameTimes = new long[256];
    private int frames;
    volatile long ended = -1;
    volatile TtsSummary summary;
    volatile String failure;

    Stream(CountDownLatch done) {
      this.done = done;
    }

    @Override
    public void onAudio(float[] pcm) {
      long now = System.nanoTime();
      if (frames == 0) {
        firstAudio = now;
      }
      if (frames == frameTimes.length) {
        frameTimes = Arrays.copyOf(frameTimes, frames * 2);
      }
      frameTimes[frames++] = now;
    }

    @Override
    public void onEnd(TtsSummary s) {
      ended = System.nanoTime();
      summary = s;
    }

    @Override
    public void onClosed(String reason) {
      if (reason != null) {
        failure = reason;
      }
      done.countDown();
    }

    /** The most a frame came after its playback time, playback starting with the first frame. */
    synchronized long maxLagNanos() {
      long worst = 0;
      for (int k = 0; k < frames; k++) {
        worst = Math.max(worst, frameTimes[k] - frameTimes[0] - (long) (k * FRAME_SECONDS * 1e9));
      }
      return worst;
    }
  }
}
