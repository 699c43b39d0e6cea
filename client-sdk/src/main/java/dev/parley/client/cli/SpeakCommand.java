package dev.parley.client.cli;

import dev.parley.client.AudioFormats;
import dev.parley.client.ParleyClient;
import dev.parley.client.ParleyException;
import dev.parley.client.SpeechCall;
import dev.parley.client.SpeechListener;
import dev.parley.client.SpeechOptions;
import dev.parley.client.SpeechStream;
import dev.parley.client.sound.SpeakerPlayback;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.proto.v1.SynthesisEnd;
import dev.parley.proto.v1.SynthesisReady;
import dev.parley.proto.v1.WordTiming;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code parley speak}: text to speech over the Speech service. */
@Command(
    name = "speak",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Synthesize speech with the server's Speech service (a Kyutai TTS model).",
      "TEXT is what to say (<break time=\"1.5s\"/> inserts a pause); several TEXTs are the turns of a dialogue, "
          + "spoken by the --voice options in turn. '-' reads stdin line by line and streams each line to the "
          + "server as it arrives (SynthesizeStream), so `llm | parley speak - --play` speaks while the LLM writes.",
      "The audio goes to -o FILE as it arrives: a WAV (24 kHz mono 16-bit), an Ogg Opus file or raw 16-bit PCM "
          + "(--format, default from the file's extension, else wav); --play plays it as well.",
      "Progress (audio received, words) is shown on stderr on a terminal, a summary at the end; --timings prints "
          + "each word with its start and end (seconds) on stdout.",
      "While stdin is quiet the model pauses (heard as silence); the server ends a stream that sends no text for its "
          + "idle timeout (30 s by default).",
      "Exit status: 0 done, 2 the server refused or failed (e.g. INVALID_ARGUMENT: unknown voice; UNIMPLEMENTED: "
          + "no text-to-speech model) or a usage error, 3 unwritable output or no sound device."
    })
final class SpeakCommand implements Callable<Integer> {
  /** Output files. */
  enum Format {
    wav,
    ogg,
    raw
  }

  private static final Pattern BREAK = Pattern.compile("<break\\s[^>]*>");

  @ParentCommand ParleyCli cli;

  @Spec CommandSpec spec;

  @Parameters(
      arity = "1..*",
      paramLabel = "TEXT|-",
      description = "What to say, one TEXT per dialogue turn; '-' for stdin.")
  List<String> texts;

  @Option(
      names = {"-o", "--output", "--out"},
      paramLabel = "FILE",
      description = "Write the speech here.")
  Path output;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      description =
          "wav, ogg (Ogg Opus, encoded by the server) or raw (s16le 24 kHz mono) "
              + "(default: from -o's extension .wav/.ogg/.opus/.raw/.pcm, else wav).")
  Format format;

  @Option(names = "--play", description = "Play the speech on the default speaker as it arrives.")
  boolean play;

  @Option(
      names = "--voice",
      paramLabel = "NAME",
      description =
          "A voice from 'parley voices' (default: the server's); repeat it for each speaker of a dialogue.")
  List<String> voices;

  @Option(
      names = "--temperature",
      paramLabel = "T",
      description = "Sampling temperature (0 = greedy; server default: 0.6).")
  Float temperature;

  @Option(names = "--greedy", description = "Greedy sampling: temperature 0.")
  boolean greedy;

  @Option(
      names = "--seed",
      paramLabel = "N",
      description = "Seed of the sampler (reproducible speech).")
  Long seed;

  @Option(
      names = "--cfg",
      paramLabel = "C",
      description = "Classifier-free guidance strength (server default: 2.0).")
  Float cfg;

  @Option(
      names = "--timings",
      description = "Print each word as it is timed: START<tab>END<tab>WORD (seconds) on stdout.")
  boolean timings;

  @Option(
      names = "--timeout",
      defaultValue = "60",
      paramLabel = "SECONDS",
      description =
          "Give up when the server sends nothing for this long once all the text is sent "
              + "(default: ${DEFAULT-VALUE}).")
  double timeoutSeconds;

  @Option(names = "--no-progress", description = "No progress line.")
  boolean noProgress;

  @Option(
      names = {"-q", "--quiet"},
      description = "Nothing on stderr but errors: no progress or summary.")
  boolean quiet;

  @Override
  // The resource is opened for what closing it does.
  @SuppressWarnings("try")
  public Integer call() throws Exception {
    boolean stdin = texts.contains("-");
    if (stdin && texts.size() > 1) {
      throw usage("'-' (stdin) must be the only TEXT");
    }
    if (output == null && !play) {
      throw usage("nothing to do: give -o FILE to write the speech, --play to hear it, or both");
    }
    if (!(timeoutSeconds > 0)) {
      throw usage("--timeout must be positive");
    }
    List<String> voiceList = voices == null ? List.of() : voices;
    if (voiceList.size() > 1 && texts.size() < 2) {
      throw usage("several --voice options need several TEXTs: one per dialogue turn");
    }
    Format fmt = format != null ? format : formatOf(output);
    if (fmt == Format.ogg && output == null) {
      fmt = Format.wav; // only played: PCM needs no decoding
    }
    SpeechOptions options = options(fmt, stdin ? List.of() : texts, voiceList);
    PrintWriter err = spec.commandLine().getErr();
    Duration timeout = Duration.ofMillis((long) (timeoutSeconds * 1000));
    long t0 = System.nanoTime();

    SpeechSink sink;
    SpeechCall call;
    SynthesisEnd end;
    Receiver receiver;
    try (SpeakerPlayback speaker =
        play ? SpeakerPlayback.open(AudioFormats.MODEL_RATE, Duration.ofHours(1)) : null) {
      sink = new SpeechSink(fmt, output, speaker);
      receiver = new Receiver(sink, timings ? spec.commandLine().getOut() : null);
      int totalWords = stdin ? -1 : countWords(texts);
      boolean bar = !quiet && !noProgress && TranscribeCommand.onTerminal();
      boolean finished = false;
      try (sink;
          ParleyClient client = cli.client();
          ProgressBar progress =
              bar
                  ? new ProgressBar(
                      err,
                      () ->
                          totalWords > 0
                              ? Math.min(1, receiver.words / (double) totalWords)
                              : Double.NaN,
                      () -> receiver.status(totalWords))
                  : null) {
        if (stdin) {
          SpeechStream stream = client.openSpeechStream(options, receiver);
          call = stream;
          receiver.call = stream;
          try (stream) {
            end = streamStdin(stream, receiver, timeout);
          }
        } else {
          call = client.synthesize(texts.size() == 1 ? texts.get(0) : null, options, receiver);
          receiver.call = call;
          try (call) {
            receiver.textSent();
            end = await(call, receiver, timeout);
          }
        }
        finished = true;
      } finally {
        if (!finished) {
          keepOrDiscard(sink, err);
        }
      }
      if (speaker != null) {
        speaker.drain(Duration.ofMillis((long) (sink.seconds() * 1000) + 5000));
        if (speaker.droppedSamples() > 0) {
          err.printf(
              Locale.ROOT,
              "dropped %.2f s of speech the speaker could not keep up with%n",
              speaker.droppedSamples() / (double) AudioFormats.MODEL_RATE);
        }
      }
    }
    if (!quiet) {
      double elapsed = (System.nanoTime() - t0) / 1e9;
      SynthesisReady ready = call.ready();
      double audio = sink.seconds();
      err.printf(
          Locale.ROOT,
          "%s%.2f s of speech, %d words%s; first audio after %.0f ms, %.1fx real time%s%n",
          output != null ? "wrote " + output + ": " : "",
          audio,
          end.getWords(),
          ready == null
              ? ""
              : " (" + String.join(", ", ready.getVoicesList()) + " on " + ready.getModel() + ")",
          end.getFirstAudioMs(),
          elapsed > 0 ? audio / elapsed : 0,
          end.getStarvedSteps() == 0
              ? ""
              : String.format(
                  Locale.ROOT,
                  "; %.2f s of pauses waiting for text",
                  end.getStarvedSteps() / ModelAudio.FRAME_RATE));
      err.flush();
    }
    return 0;
  }

  /** After a failure: a file with no audio goes, one with some stays (and is said to). */
  private void keepOrDiscard(SpeechSink sink, PrintWriter err) {
    try {
      if (sink.abandon() && !quiet) {
        err.printf(
            Locale.ROOT,
            "parley: kept the %.2f s of speech received before the failure in %s%n",
            sink.seconds(),
            output);
      }
    } catch (IOException e) {
      err.println("parley: could not clean up " + output + ": " + e.getMessage());
    }
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  /** The synthesis options of these flags: {@code turns} when there are several texts. */
  SpeechOptions options(Format fmt, List<String> turns, List<String> voiceList) {
    SpeechOptions.Builder o =
        SpeechOptions.builder()
            .outputFormat(
                fmt == Format.ogg
                    ? AudioFormats.oggOpus(AudioFormats.MODEL_RATE)
                    : AudioFormats.pcmS16le(AudioFormats.MODEL_RATE));
    if (turns.size() > 1) {
      o.turns(turns).voices(voiceList);
    } else if (!voiceList.isEmpty()) {
      o.voice(voiceList.get(0));
    }
    if (temperature != null) {
      o.temperature(temperature);
    }
    if (greedy) {
      o.greedy();
    }
    if (seed != null) {
      o.seed(seed);
    }
    if (cfg != null) {
      o.cfgCoef(cfg);
    }
    return o.build();
  }

  /**
   * Sends stdin line by line as it arrives (each line followed by a newline, so its last word is
   * spoken without waiting for the next line), from a reader thread, while this thread waits for
   * the synthesis: a failure (an unknown voice, say) ends the command at once, not when the input
   * does.
   */
  private SynthesisEnd streamStdin(SpeechStream stream, Receiver receiver, Duration timeout)
      throws Exception {
    AtomicReference<Throwable> readFailure = new AtomicReference<>();
    Reader in = new InputStreamReader(cli.stdin(), StandardCharsets.UTF_8);
    Thread reader =
        new Thread(
            () -> {
              try {
                sendLines(new BufferedReader(in), stream, timeout);
                receiver.textSent();
              } catch (Throwable t) {
                readFailure.set(t);
                stream.cancel();
              }
            },
            "parley-speak-stdin");
    reader.setDaemon(true);
    reader.start();
    try {
      return await(stream, receiver, timeout);
    } catch (ParleyException e) {
      Throwable t = readFailure.get();
      if (t instanceof IOException io) {
        throw io;
      }
      if (t instanceof ParleyException p) {
        throw p;
      }
      throw e;
    } finally {
      reader.interrupt(); // a blocked read of stdin stays blocked; the thread is a daemon
    }
  }

  /** Streams each line of {@code in} as a piece of text, then the end of text. */
  static void sendLines(BufferedReader in, SpeechStream stream, Duration timeout)
      throws IOException, InterruptedException {
    String line;
    while ((line = in.readLine()) != null && !stream.isDone()) {
      if (line.isBlank()) {
        continue;
      }
      if (!stream.awaitReady(timeout)) {
        throw new ParleyException(
            "DEADLINE_EXCEEDED",
            "the server took no text for " + timeout.toSeconds() + " s (client-side wait)");
      }
      stream.sendText(line + "\n");
    }
    stream.endOfText();
  }

  /**
   * Waits for the end of the synthesis. Before all the text is sent there is no limit (the text's
   * source sets the pace); after, the server must send something at least every {@code timeout}. A
   * failure to write the output or play it wins over the call's CANCELLED.
   */
  private static SynthesisEnd await(SpeechCall call, Receiver receiver, Duration timeout)
      throws Exception {
    var done = call.completion();
    while (true) {
      try {
        return done.get(100, TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (receiver.sinkFailure != null) {
          throw receiver.sinkFailure;
        }
        throw ParleyException.from(e.getCause());
      } catch (TimeoutException e) {
        if (receiver.sinkFailure != null) {
          call.cancel();
          throw receiver.sinkFailure;
        }
        long quiet = System.nanoTime() - receiver.lastActivity;
        if (receiver.textSent && quiet > timeout.toNanos()) {
          call.cancel();
          throw new ParleyException(
              "DEADLINE_EXCEEDED",
              "the server sent nothing for "
                  + timeout.toSeconds()
                  + " s after the text ended (client-side wait)");
        }
      }
    }
  }

  /** Words as the server counts them: whitespace-separated, break tags not counted. */
  static int countWords(List<String> texts) {
    int n = 0;
    for (String t : texts) {
      for (String w : BREAK.matcher(t).replaceAll(" ").trim().split("\\s+")) {
        if (!w.isEmpty()) {
          n++;
        }
      }
    }
    return n;
  }

  static Format formatOf(Path output) {
    if (output == null) {
      return Format.wav;
    }
    String name = output.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".ogg") || name.endsWith(".opus") || name.endsWith(".oga")) {
      return Format.ogg;
    }
    if (name.endsWith(".raw") || name.endsWith(".pcm") || name.endsWith(".s16")) {
      return Format.raw;
    }
    return Format.wav;
  }

  /**
   * What the server sends, on the gRPC thread: to the sink, the timings to stdout, counts for the
   * progress line.
   */
  private static final class Receiver implements SpeechListener {
    private final SpeechSink sink;
    private final PrintWriter timingsOut;
    volatile SpeechCall call;
    volatile IOException sinkFailure;
    volatile long lastActivity = System.nanoTime();
    volatile boolean textSent;
    volatile int words;

    Receiver(SpeechSink sink, PrintWriter timingsOut) {
      this.sink = sink;
      this.timingsOut = timingsOut;
    }

    void textSent() {
      lastActivity = System.nanoTime();
      textSent = true;
    }

    @Override
    public void onReady(SynthesisReady ready) {
      lastActivity = System.nanoTime();
    }

    @Override
    public void onAudio(byte[] chunk) {
      lastActivity = System.nanoTime();
      if (sinkFailure != null) {
        return;
      }
      try {
        sink.write(chunk);
      } catch (IOException e) {
        sinkFailure = e;
        SpeechCall c = call;
        if (c != null) {
          c.cancel();
        }
      }
    }

    @Override
    public void onWord(WordTiming word) {
      lastActivity = System.nanoTime();
      words++;
      if (timingsOut != null) {
        timingsOut.printf(
            Locale.ROOT, "%.3f\t%.3f\t%s%n", word.getStartS(), word.getEndS(), word.getText());
        timingsOut.flush();
      }
    }

    @Override
    public void onEnd(SynthesisEnd end) {
      lastActivity = System.nanoTime();
    }

    String status(int totalWords) {
      return String.format(
          Locale.ROOT,
          "%.1f s of speech, %d%s words",
          sink.seconds(),
          words,
          totalWords > 0 ? "/" + totalWords : "");
    }
  }
}
