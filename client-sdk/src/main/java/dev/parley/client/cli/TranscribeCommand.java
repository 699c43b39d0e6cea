package dev.parley.client.cli;

import dev.parley.client.ParleyClient;
import dev.parley.client.ParleyException;
import dev.parley.client.TranscriptionListener;
import dev.parley.client.TranscriptionSession;
import dev.parley.client.cli.TranscriptFormats.TurnEnd;
import dev.parley.proto.v1.EndOfTurn;
import dev.parley.proto.v1.FinalTranscript;
import dev.parley.proto.v1.Marker;
import dev.parley.proto.v1.PauseProbabilities;
import dev.parley.proto.v1.TranscribeConfig;
import dev.parley.proto.v1.Word;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code parley transcribe}: streaming speech to text over the Transcription service. */
@Command(
    name = "transcribe",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Transcribe audio with the server's Transcription service (a Kyutai STT model).",
      "FILE is a WAV file (any rate and channels) or an Ogg Opus file (.ogg/.opus, sent as it is); '-' reads stdin: "
          + "WAV or Ogg Opus if it starts like one, otherwise raw signed 16-bit little-endian mono PCM at --stdin-rate.",
      "Audio goes out as fast as the server takes it (it is transcribed at the engine's speed) unless --realtime.",
      "Words are shown on stderr as they arrive (with a progress bar on a terminal); the transcript in --format goes "
          + "to stdout, or to -o FILE, once the server sends its final transcript.",
      "Exit status: 0 done, 2 the server refused or failed (e.g. UNIMPLEMENTED: no speech-to-text model), "
          + "3 unreadable input or output."
    })
final class TranscribeCommand implements Callable<Integer> {
  /** Output documents. */
  enum Format {
    text,
    json,
    srt,
    vtt
  }

  @ParentCommand ParleyCli cli;

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "FILE|-", description = "WAV or Ogg Opus file, or '-' for stdin.")
  String in;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      description = "text, json, srt or vtt (default: from -o's extension, else text).")
  Format format;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      description = "Write the transcript here instead of stdout.")
  Path output;

  @Option(
      names = "--realtime",
      description = "Send audio at real-time pace instead of as fast as the server takes it.")
  boolean realtime;

  @Option(
      names = "--vad",
      description =
          "End-of-turn detection: '[end of turn at S s]' lines in text, 'end_of_turns' in json.")
  boolean vad;

  @Option(
      names = "--pause-every",
      defaultValue = "0",
      paramLabel = "N",
      description =
          "Ask for pause probabilities every N model steps (80 ms each; in json as 'pauses'; default: never).")
  int pauseEvery;

  @Option(
      names = "--end-of-turn-head",
      paramLabel = "N",
      description = "Pause head that signals an end of turn (server default: 2).")
  Integer endOfTurnHead;

  @Option(
      names = "--end-of-turn-threshold",
      paramLabel = "P",
      description = "Its threshold (server default: 0.5).")
  Float endOfTurnThreshold;

  @Option(
      names = "--stdin-rate",
      defaultValue = "24000",
      paramLabel = "HZ",
      description = "Sample rate of raw PCM on stdin (default: ${DEFAULT-VALUE}).")
  int stdinRate;

  @Option(
      names = "--timeout",
      defaultValue = "120",
      paramLabel = "SECONDS",
      description =
          "Give up when the server takes no audio, or sends no final transcript after the input ended, for "
              + "this long (default: ${DEFAULT-VALUE}).")
  double timeoutSeconds;

  @Option(names = "--no-progress", description = "No progress bar (words are still shown).")
  boolean noProgress;

  @Option(
      names = {"-q", "--quiet"},
      description = "Nothing on stderr but errors: no live words, progress or summary.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    if (pauseEvery < 0 || timeoutSeconds <= 0) {
      throw new IllegalArgumentException("--pause-every must be 0 or more and --timeout positive");
    }
    Format fmt = format != null ? format : formatOf(output);
    PrintWriter err = spec.commandLine().getErr();
    Duration timeout = Duration.ofMillis((long) (timeoutSeconds * 1000));

    try (TranscribeInput input =
        "-".equals(in)
            ? TranscribeInput.stdin(cli.stdin(), stdinRate)
            : TranscribeInput.file(Path.of(in))) {
      TranscribeConfig.Builder config =
          TranscribeConfig.newBuilder()
              .setInputFormat(input.format())
              .setPauseProbabilitiesEverySteps(pauseEvery);
      if (endOfTurnHead != null) {
        config.setEndOfTurnHead(endOfTurnHead);
      }
      if (endOfTurnThreshold != null) {
        config.setEndOfTurnThreshold(endOfTurnThreshold);
      }
      boolean bar = !quiet && !noProgress && onTerminal();
      Progress progress;
      FinalTranscript transcript;
      TranscriptionSession session;
      List<TurnEnd> turns = Collections.synchronizedList(new ArrayList<>());
      List<PauseProbabilities> pauses = Collections.synchronizedList(new ArrayList<>());
      long t0 = System.nanoTime();
      try (ParleyClient client = cli.client();
          LiveView live = new LiveView(err, !quiet, bar)) {
        progress = new Progress(input, live);
        AtomicInteger wordsSeen = new AtomicInteger();
        session =
            client.transcribe(
                config.build(),
                new TranscriptionListener() {
                  @Override
                  public void onWord(Word word) {
                    wordsSeen.accumulateAndGet(word.getIndex() + 1, Math::max);
                    live.word(word.getText());
                  }

                  @Override
                  public void onEndOfTurn(EndOfTurn e) {
                    turns.add(new TurnEnd(wordsSeen.get(), e.getStep(), e.getProbability()));
                    live.endOfTurn();
                  }

                  @Override
                  public void onPause(PauseProbabilities p) {
                    pauses.add(p);
                  }

                  @Override
                  public void onMarker(Marker marker) {
                    progress.transcribed(marker.getId());
                  }
                });
        try (session) {
          send(input, session, progress, timeout);
          session.endInput();
          transcript = session.awaitFinal(timeout);
          progress.transcribed(progress.sent.get());
        }
      }
      double elapsed = (System.nanoTime() - t0) / 1e9;
      String document =
          switch (fmt) {
            case text -> TranscriptFormats.text(transcript.getWordsList(), turns, vad);
            case json ->
                TranscriptFormats.json(
                    session.session(),
                    input.durationSeconds() != null
                        ? input.durationSeconds()
                        : progress.sentSeconds(),
                    transcript.getText(),
                    transcript.getWordsList(),
                    turns,
                    vad,
                    pauseEvery > 0 ? pauses : null);
            case srt ->
                TranscriptFormats.srt(TranscriptFormats.cues(transcript.getWordsList(), turns));
            case vtt ->
                TranscriptFormats.vtt(TranscriptFormats.cues(transcript.getWordsList(), turns));
          };
      if (output != null) {
        writeOutput(document);
      } else {
        PrintWriter out = spec.commandLine().getOut();
        out.print(document);
        out.flush();
      }
      if (!quiet) {
        double audio =
            input.durationSeconds() != null ? input.durationSeconds() : progress.sentSeconds();
        err.printf(
            Locale.ROOT,
            "%s: %d words, %.1f s of audio in %.1f s (%.1fx real time)%s%s%n",
            session.session() == null
                ? "transcribed"
                : "session "
                    + session.session().getSessionId()
                    + " on "
                    + session.session().getModel(),
            transcript.getWordsCount(),
            audio,
            elapsed,
            elapsed > 0 ? audio / elapsed : 0,
            vad ? ", " + turns.size() + " ends of turn" : "",
            output != null ? "; wrote " + output : "");
        err.flush();
      }
      return 0;
    }
  }

  /**
   * Streams the input: as fast as flow control allows, or paced at real time; a marker about once a
   * second.
   */
  private void send(
      TranscribeInput input, TranscriptionSession session, Progress progress, Duration timeout)
      throws IOException, InterruptedException {
    long markerEvery = Math.max(1, Math.round(input.bytesPerSecond()));
    long nextMarker = markerEvery;
    long start = System.nanoTime();
    byte[] chunk;
    while ((chunk = input.next()) != null) {
      if (realtime) {
        long due = start + (long) (progress.sent.get() / input.bytesPerSecond() * 1e9);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
      }
      if (!session.awaitReady(timeout)) {
        throw new ParleyException(
            "DEADLINE_EXCEEDED",
            "the server took no audio for " + timeout.toSeconds() + " s (client-side wait)");
      }
      session.sendAudio(chunk);
      long sent = progress.sent(chunk.length);
      if (sent >= nextMarker) {
        session.sendMarker(sent);
        nextMarker = sent + markerEvery;
      }
    }
  }

  private void writeOutput(String document) throws IOException {
    Path parent = output.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(output, document, StandardCharsets.UTF_8);
  }

  /**
   * Whether the JVM runs on a terminal: System.console() is null otherwise up to Java 21; from Java
   * 22 it may exist anyway and {@code isTerminal()} tells.
   */
  static boolean onTerminal() {
    java.io.Console c = System.console();
    if (c == null) {
      return false;
    }
    try {
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
    } catch (NoSuchMethodException e) {
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }

  static Format formatOf(Path output) {
    if (output == null) {
      return Format.text;
    }
    String name = output.getFileName().toString().toLowerCase(Locale.ROOT);
    for (Format f : Format.values()) {
      if (name.endsWith("." + f.name())) {
        return f;
      }
    }
    return Format.text;
  }

  /** Bytes sent and bytes known transcribed (from markers), shown on the live view. */
  private static final class Progress {
    final AtomicLong sent = new AtomicLong();
    final AtomicLong done = new AtomicLong();
    private final TranscribeInput input;
    private final LiveView live;

    Progress(TranscribeInput input, LiveView live) {
      this.input = input;
      this.live = live;
    }

    long sent(int bytes) {
      long s = sent.addAndGet(bytes);
      show();
      return s;
    }

    void transcribed(long bytes) {
      done.accumulateAndGet(bytes, Math::max);
      show();
    }

    double sentSeconds() {
      return sent.get() / input.bytesPerSecond();
    }

    private void show() {
      long total = input.totalBytes();
      double bps = input.bytesPerSecond();
      if (total > 0) {
        live.progress(
            sent.get() / (double) total,
            done.get() / (double) total,
            String.format(
                Locale.ROOT,
                "%.1f/%.1f s",
                done.get() / (double) total * input.durationSeconds(),
                input.durationSeconds()));
      } else if (input.exactTiming()) {
        live.progress(
            Double.NaN,
            Double.NaN,
            String.format(
                Locale.ROOT,
                "%.1f s sent, %.1f s transcribed",
                sent.get() / bps,
                done.get() / bps));
      } else {
        live.progress(
            Double.NaN,
            Double.NaN,
            String.format(
                Locale.ROOT,
                "%d kB sent, %d kB transcribed",
                sent.get() / 1000,
                done.get() / 1000));
      }
    }
  }
}
