package dev.parley.server.cli;

import dev.parley.codec.mimi.MimiConfig;
import dev.parley.server.bench.LmBench;
import dev.parley.server.bench.MimiBench;
import dev.parley.server.bench.TtsBench;
import dev.parley.server.lm.LmConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Speed measurements with random weights; the last line of each is a stable key=value record. */
@Command(
    mixinStandardHelpOptions = true,
    name = "bench",
    description = "Measure codec and model speed (random weights).",
    subcommands = {
      BenchCommand.Mimi.class,
      BenchCommand.Lm.class,
      BenchCommand.Chat.class,
      BenchCommand.Stt.class,
      BenchCommand.Tts.class,
      BenchCommand.Realtime.class
    })
public final class BenchCommand {

  @Command(
      mixinStandardHelpOptions = true,
      name = "mimi",
      description = "Streaming Mimi encode/decode time per 80 ms frame.")
  static final class Mimi implements Callable<Integer> {
    @Option(
        names = "--mimi-config",
        description = "Mimi config JSON (default: Kyutai's released Mimi).")
    Path config;

    @Option(
        names = "--batch",
        defaultValue = "1",
        description = "Streams per call (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(
        names = "--frames",
        defaultValue = "200",
        description = "Measured frames (default ${DEFAULT-VALUE}).")
    int frames;

    @Option(
        names = "--warmup",
        defaultValue = "20",
        description = "Unmeasured frames first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(
        names = "--threads",
        defaultValue = "2",
        description = "libtorch intra-op threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(
        names = "--codebooks",
        description = "Codebooks (default: the config's, 8 for Kyutai's Mimi).")
    Integer codebooks;

    @Option(names = "--half", description = "float16 weights and compute instead of float32.")
    boolean half;

    @Override
    public Integer call() throws Exception {
      MimiConfig c = config == null ? MimiConfig.kyutai() : MimiConfig.fromJson(config);
      if (codebooks != null) {
        c = c.withCodebooks(codebooks);
      }
      MimiBench.Result r = MimiBench.run(c, batch, frames, warmup, threads, half);
      System.out.println(r.line());
      return 0;
    }
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "lm",
      description = "LMGen step time (random weights, default sampling).")
  static final class Lm implements Callable<Integer> {
    @Option(
        names = "--config",
        defaultValue = "tiny",
        description =
            "tiny, small, moshi7b, their transcription "
                + "versions tiny-stt, small-stt, moshi7b-stt (as --dep-q 0), or a config JSON (default ${DEFAULT-VALUE}).")
    String config;

    @Option(
        names = "--dep-q",
        description =
            "0: step the config as a transcription (STT) model — all audio "
                + "streams in, greedy text, 4 extra heads, no depth transformer (default: the config's dep_q).")
    Integer depQ;

    @Option(
        names = "--batch",
        defaultValue = "1",
        description = "Slots per step (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(
        names = "--steps",
        defaultValue = "100",
        description = "Measured steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(
        names = "--warmup",
        defaultValue = "10",
        description = "Unmeasured steps first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(
        names = "--threads",
        defaultValue = "2",
        description = "libtorch intra-op threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(
        names = "--half",
        description = "float16 weights and compute (as serve --half; for GPUs).")
    boolean half;

    @Option(
        names = "--head-start",
        defaultValue = "0",
        description =
            "Steps slot 0 takes alone before the others start: one long-lived session beside"
                + " fresh ones (default ${DEFAULT-VALUE}).")
    int headStart;

    @Override
    public Integer call() throws Exception {
      boolean sttName = config.endsWith("-stt") && !config.endsWith(".json");
      String base = sttName ? config.substring(0, config.length() - "-stt".length()) : config;
      LmConfig c =
          switch (base) {
            case "tiny" -> LmConfig.tiny();
            case "small" -> LmConfig.small();
            case "moshi7b" -> LmConfig.moshi7b();
            default -> {
              if (sttName) {
                throw new IllegalArgumentException(
                    "unknown config " + config + ": tiny-stt, small-stt or moshi7b-stt");
              }
              yield LmConfig.fromJson(Path.of(config));
            }
          };
      String name = config.endsWith(".json") ? Path.of(config).getFileName().toString() : base;
      if (depQ != null && depQ != 0 && depQ != c.depQ()) {
        throw new IllegalArgumentException(
            "--dep-q "
                + depQ
                + ": only 0 (transcription) or the config's own "
                + c.depQ()
                + " can be measured");
      }
      if (sttName || (depQ != null && depQ == 0 && c.depQ() != 0)) {
        c = LmBench.sttMode(c);
        name = name + "-stt";
      }
      System.out.println(
          LmBench.run(
                  name + (half ? "-f16" : ""),
                  c,
                  batch,
                  steps,
                  warmup,
                  threads,
                  half
                      ? ai.djl.ndarray.types.DataType.FLOAT16
                      : ai.djl.ndarray.types.DataType.FLOAT32,
                  headStart)
              .line());
      return 0;
    }
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "chat",
      description = "N real-time /api/chat sessions against an in-process server on loopback.")
  static final class Chat implements Callable<Integer> {
    @Option(
        names = "--model",
        defaultValue = "demo",
        description = "Model (default ${DEFAULT-VALUE}).")
    String model;

    @Option(
        names = "--sessions",
        defaultValue = "16",
        description = "Concurrent sessions (default ${DEFAULT-VALUE}).")
    int sessions;

    @Option(
        names = "--seconds",
        defaultValue = "20",
        description = "Audio per session (default ${DEFAULT-VALUE}).")
    double seconds;

    @Option(
        names = "--transport",
        defaultValue = "ws",
        description =
            "ws (Kyutai's /api/chat) or grpc (Dialogue.Converse); default ${DEFAULT-VALUE}.")
    String transport;

    @Option(
        names = "--warmup-seconds",
        defaultValue = "5",
        description =
            "Seconds the sessions stream before measuring starts (default ${DEFAULT-VALUE}).")
    double warmUpSeconds;

    @Option(
        names = "--threads",
        description = "libtorch intra-op threads (default: as serve, every core but one).")
    Integer threads;

    @Option(
        names = "--slots",
        description =
            "Engine slots, as serve's --max-sessions (default: --sessions, +1 with --prompt); a step computes "
                + "only the live ones.")
    Integer slots;

    @Option(
        names = "--prompt",
        description =
            "A role prompt: after --seconds of streaming, one more session joins with it (and"
                + " --prompt-voice) and the live sessions are measured before, during and after"
                + " its prefill, --seconds each side. Needs a PersonaPlex model: a checkpoint"
                + " folder, or demo-personaplex (random weights).")
    String prompt;

    @Option(
        names = "--prompt-repeat",
        defaultValue = "1",
        description =
            "The role prompt repeated this many times, for a long one (default ${DEFAULT-VALUE}).")
    int promptRepeat;

    @Option(
        names = "--prompt-voice",
        description =
            "Voice prompt WAV (any rate; default: --prompt-voice-seconds of a voiced tone).")
    Path promptVoice;

    @Option(
        names = "--prompt-voice-seconds",
        defaultValue = "10",
        description = "Length of the default voice prompt; 0 for none (default ${DEFAULT-VALUE}).")
    double promptVoiceSeconds;

    @Override
    public Integer call() throws Exception {
      dev.parley.codec.torch.TorchRuntime.setThreads(
          threads != null ? threads : dev.parley.codec.torch.TorchRuntime.serverCpuThreads());
      try (var m =
              dev.parley.server.model.DemoModel.PERSONAPLEX_NAME.equals(model)
                  ? dev.parley.server.model.DemoModel.buildPersonaPlex(ai.djl.Device.cpu())
                  : dev.parley.server.model.SpeechModel.load(
                      dev.parley.server.model.ModelReference.parse(model),
                      ModelFiles.resolver(),
                      ai.djl.Device.cpu(),
                      ai.djl.ndarray.types.DataType.FLOAT32);
          var server =
              new dev.parley.server.ParleyServer(
                      m,
                      dev.parley.server.config.ServerConfig.defaults()
                          .withHost("127.0.0.1")
                          .withPort(0)
                          .withGrpcPort(0)
                          .withMaxSessions(
                              slots != null ? slots : sessions + (prompt != null ? 1 : 0)))
                  .start()) {
        if (prompt != null) {
          for (String line :
              dev.parley.server.bench.PromptJoinBench.run(
                      server, sessions, seconds, warmUpSeconds, prompt())
                  .lines()) {
            System.out.println(line);
          }
          return 0;
        }
        System.out.println(
            dev.parley.server.bench.ChatLoadBench.run(
                    server,
                    sessions,
                    seconds,
                    warmUpSeconds,
                    dev.parley.server.bench.ChatLoadBench.Transport.valueOf(
                        transport.toUpperCase(java.util.Locale.ROOT)))
                .line());
      }
      return 0;
    }

    private dev.parley.server.dialogue.DialoguePrompt prompt() throws java.io.IOException {
      if (promptRepeat < 1) {
        throw new IllegalArgumentException("--prompt-repeat must be at least 1");
      }
      String text = String.join(" ", java.util.Collections.nCopies(promptRepeat, prompt.strip()));
      float[] voice =
          promptVoice != null
              ? dev.parley.server.persona.PromptVoices.fromWavBytes(
                  java.nio.file.Files.readAllBytes(promptVoice))
              : promptVoiceSeconds > 0
                  ? dev.parley.server.bench.PromptJoinBench.toneVoice(promptVoiceSeconds)
                  : null;
      return new dev.parley.server.dialogue.DialoguePrompt(
          text, voice, promptVoice != null ? promptVoice.getFileName().toString() : "tone");
    }
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "stt",
      description = "N real-time transcription streams into an in-process STT engine.")
  static final class Stt implements Callable<Integer> {
    @Option(
        names = "--model",
        defaultValue = "demo-stt",
        description = "Transcription model (default ${DEFAULT-VALUE}).")
    String model;

    @Option(
        names = "--sessions",
        defaultValue = "8",
        description = "Concurrent streams (default ${DEFAULT-VALUE}).")
    int sessions;

    @Option(
        names = "--seconds",
        defaultValue = "20",
        description = "Measured seconds (default ${DEFAULT-VALUE}).")
    double seconds;

    @Option(
        names = "--warmup-seconds",
        defaultValue = "3",
        description = "Seconds the streams run before measuring starts (default ${DEFAULT-VALUE}).")
    double warmUpSeconds;

    @Option(
        names = "--threads",
        description = "libtorch intra-op threads (default: as serve, every core but one).")
    Integer threads;

    @Option(
        names = "--device",
        defaultValue = "cpu",
        description = "cpu, cuda or cuda:N (default ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--half", description = "Compute the LM in float16.")
    boolean half;

    @Option(
        names = "--find-max",
        description =
            "Start at --sessions and double until a run does not keep real "
                + "time; the last line then names the largest that did (max_sessions).")
    boolean findMax;

    @Option(
        names = "--max-sessions",
        defaultValue = "1024",
        description = "--find-max stops here (default ${DEFAULT-VALUE}).")
    int maxSessions;

    @Option(
        names = "--slots",
        description =
            "Engine slots (default: --sessions; with --find-max, each run's sessions); a step "
                + "computes only the live ones.")
    Integer slots;

    @Override
    public Integer call() throws Exception {
      int t = threads != null ? threads : dev.parley.codec.torch.TorchRuntime.serverCpuThreads();
      dev.parley.codec.torch.TorchRuntime.setThreads(t);
      try (var m =
          dev.parley.server.model.SpeechModel.load(
              dev.parley.server.model.ModelReference.parse(model),
              ModelFiles.resolver(),
              dev.parley.codec.torch.TorchRuntime.device(device),
              half
                  ? ai.djl.ndarray.types.DataType.FLOAT16
                  : ai.djl.ndarray.types.DataType.FLOAT32)) {
        if (!findMax) {
          System.out.println(
              dev.parley.server.bench.SttBench.run(
                      m, sessions, slots != null ? slots : sessions, seconds, warmUpSeconds, t)
                  .line());
          return 0;
        }
        int best = 0;
        dev.parley.server.bench.SttBench.Result last = null;
        for (int n = Math.max(1, sessions); n <= maxSessions; n *= 2) {
          last =
              dev.parley.server.bench.SttBench.run(
                  m, n, slots != null ? Math.max(slots, n) : n, seconds, warmUpSeconds, t);
          System.out.println(last.line());
          System.out.flush();
          if (!last.keptRealTime()) {
            break;
          }
          best = n;
        }
        System.out.printf(
            java.util.Locale.ROOT,
            "bench=stt-max model=%s seconds=%.0f threads=%d max_sessions=%d "
                + "first_failing=%s%n",
            m.name(),
            seconds,
            t,
            best,
            last != null && !last.keptRealTime() ? String.valueOf(last.sessions()) : "none");
      }
      return 0;
    }
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "tts",
      description =
          "Text-to-speech: step time by batch, then time to first audio and real-time "
              + "factor of 1 and N concurrent syntheses in an in-process TTS engine (random weights).")
  static final class Tts implements Callable<Integer> {
    @Option(
        names = "--config",
        defaultValue = "demo",
        description =
            "demo (the built-in demo-tts) or small (TTS-shaped, real Mimi); default ${DEFAULT-VALUE}.")
    String config;

    @Option(
        names = "--streams",
        defaultValue = "8",
        description = "Concurrent syntheses (default ${DEFAULT-VALUE}).")
    int streams;

    @Option(
        names = "--slots",
        description =
            "Engine slots for the stream runs (default: --streams); a step computes "
                + "only the live ones.")
    Integer slots;

    @Option(
        names = "--words",
        defaultValue = "40",
        description = "Words per synthesis (default ${DEFAULT-VALUE}).")
    int words;

    @Option(
        names = "--rounds",
        defaultValue = "5",
        description = "Measured rounds of each stream run (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(
        names = "--warmup",
        defaultValue = "1",
        description = "Unmeasured rounds before each measurement (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(
        names = "--batch-sizes",
        defaultValue = "1,2,4,8,16",
        description =
            "Batch sizes of the step-time table, comma-separated; none (or empty) for no table "
                + "(default ${DEFAULT-VALUE}).")
    String batchSizes;

    @Option(names = "--no-streams", description = "Only the step-time table.")
    boolean noStreams;

    @Option(
        names = "--classic-cfg",
        description =
            "The config without its cfg condition (a model not distilled for CFG): every "
                + "session is guided the classic way, two rows of the batch (strength 2, the default).")
    boolean classicCfg;

    @Option(
        names = "--codebooks",
        description = "Codebooks generated (default: as the server, up to 24).")
    Integer codebooks;

    @Option(
        names = "--threads",
        description = "libtorch intra-op threads (default: as serve, every core but one).")
    Integer threads;

    @Option(
        names = "--device",
        defaultValue = "cpu",
        description = "cpu, cuda or cuda:N (default ${DEFAULT-VALUE}).")
    String device;

    @Override
    public Integer call() throws Exception {
      int t = threads != null ? threads : dev.parley.codec.torch.TorchRuntime.serverCpuThreads();
      dev.parley.codec.torch.TorchRuntime.setThreads(t);
      int s = slots != null ? slots : streams;
      try (var m =
          TtsBench.model(config, dev.parley.codec.torch.TorchRuntime.device(device), classicCfg)) {
        var settings = dev.parley.server.tts.TtsSettings.of(m);
        if (codebooks != null) {
          settings = settings.withCodebooks(codebooks);
        }
        System.out.printf(
            java.util.Locale.ROOT,
            "bench=tts-setup config=%s model=%s threads=%d codebooks=%d "
                + "delay_steps=%d max_acoustic_delay=%d expected_steps_to_first_audio=%d "
                + "guidance=%s%n",
            config,
            m.name(),
            t,
            settings.codebooks(),
            m.config().delaySteps(),
            m.config().lm().maxDelay(),
            TtsBench.expectedStepsToFirstAudio(m.config()),
            m.config().validCfgValues().isEmpty() ? "classic" : "distilled");
        java.util.Map<Integer, TtsBench.StepRow> table = new java.util.TreeMap<>();
        double base = Double.NaN;
        for (int b : parseSizes(batchSizes)) {
          TtsBench.StepRow row =
              TtsBench.stepsAtBatch(config, m, settings, b, words, Math.max(warmup, 1));
          table.put(b, row);
          if (b == 1) {
            base = row.total().p50();
          }
          System.out.println(row.line(base));
          System.out.flush();
        }
        TtsBench.StreamRun one = null;
        TtsBench.StreamRun many = null;
        if (!noStreams) {
          if (s > 1) {
            System.out.println(
                TtsBench.streams(config, m, settings, 1, 1, words, rounds, warmup).line());
            System.out.flush();
          }
          one = TtsBench.streams(config, m, settings, 1, s, words, rounds, warmup);
          System.out.println(one.line());
          System.out.flush();
          if (streams > 1) {
            many = TtsBench.streams(config, m, settings, streams, s, words, rounds, warmup);
            System.out.println(many.line());
            System.out.flush();
          }
        }
        TtsBench.StepRow atN = table.get(streams);
        TtsBench.StreamRun last = many != null ? many : one;
        System.out.printf(
            java.util.Locale.ROOT,
            "bench=tts config=%s threads=%d streams=%d slots=%d words=%d "
                + "ttfa_1_p50_ms=%.1f overhead_1_p50_ms=%.1f ttfa_n_p50_ms=%.1f ttfa_n_p90_ms=%.1f ttfa_n_max_ms=%.1f "
                + "overhead_n_p50_ms=%.1f rtf_min=%.2f max_lag_ms=%.1f batch_ratio=%.2f decode_share=%.2f ahead=%s%n",
            config,
            t,
            streams,
            s,
            words,
            one == null ? Double.NaN : one.ttfa().p50(),
            one == null ? Double.NaN : one.overhead().p50(),
            last == null ? Double.NaN : last.ttfa().p50(),
            last == null ? Double.NaN : last.ttfa().percentile(90),
            last == null ? Double.NaN : last.ttfa().percentile(100),
            last == null ? Double.NaN : last.overhead().p50(),
            last == null ? Double.NaN : Math.min(last.rtfMin(), one.rtfMin()),
            last == null ? Double.NaN : Math.max(last.maxLagMs(), one.maxLagMs()),
            atN == null ? Double.NaN : atN.total().p50() / base,
            atN == null ? Double.NaN : atN.decodeShare(),
            last == null ? "n/a" : one.ahead() && last.ahead() ? "yes" : "no");
      }
      return 0;
    }

    static List<Integer> parseSizes(String s) {
      if (s == null || s.isBlank() || s.strip().equals("none")) {
        return List.of();
      }
      List<Integer> sizes = new java.util.ArrayList<>();
      for (String p : s.split(",")) {
        int b = Integer.parseInt(p.strip());
        if (b < 1) {
          throw new IllegalArgumentException("--batch-sizes: " + b + " is not a batch size");
        }
        sizes.add(b);
      }
      return sizes;
    }
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "realtime",
      description =
          "N /v1/realtime transcription and N speech-to-speech sessions (OpenAI Realtime) against"
              + " an in-process server with the demo models on loopback.")
  static final class Realtime implements Callable<Integer> {
    @Option(
        names = "--sessions",
        defaultValue = "4",
        description = "Sessions of each kind (default ${DEFAULT-VALUE}).")
    int sessions;

    @Option(
        names = "--utterances",
        defaultValue = "5",
        description = "Utterances per session (default ${DEFAULT-VALUE}).")
    int utterances;

    @Option(
        names = "--seconds",
        defaultValue = "3",
        description = "Seconds per utterance (default ${DEFAULT-VALUE}).")
    double seconds;

    @Override
    public Integer call() throws Exception {
      dev.parley.codec.torch.TorchRuntime.setThreads(
          dev.parley.codec.torch.TorchRuntime.serverCpuThreads());
      try (var dialogue = dev.parley.server.model.DemoModel.build(ai.djl.Device.cpu());
          var stt = dev.parley.server.model.DemoModel.buildStt(ai.djl.Device.cpu());
          var server =
              new dev.parley.server.ParleyServer(
                      dialogue,
                      stt,
                      dev.parley.server.config.ServerConfig.defaults()
                          .withHost("127.0.0.1")
                          .withPort(0)
                          .withGrpcPort(-1)
                          .withMaxSessions(sessions))
                  .start()) {
        System.out.println(
            dev.parley.server.bench.RealtimeBench.run(
                    server, stt.name(), dialogue.name(), sessions, utterances, seconds)
                .line());
      }
      return 0;
    }
  }
}
