package dev.parley.client.cli;

import dev.parley.client.ConversationOptions;
import dev.parley.client.ParleyClient;
import dev.parley.client.kyutai.KyutaiChatOptions;
import dev.parley.client.sound.MicrophoneCapture;
import dev.parley.client.sound.SpeakerPlayback;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.resample.StreamingResampler;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavReader;
import dev.parley.codec.wav.WavWriter;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code parley chat}: talk with the model, live or from a file. */
@Command(
    name = "chat",
    mixinStandardHelpOptions = true,
    description = {
      "Full-duplex conversation: microphone to the model, the model to the speaker, its text on stdout.",
      "With --in, streams a WAV file instead (in real time unless --fast) and writes the reply to --out."
    })
final class ChatCommand implements Callable<Integer> {
  private static final int FRAME =
      ModelAudio.FRAME_SAMPLES; // 80 ms at 24 kHz: one model frame per send

  @ParentCommand ParleyCli cli;

  @Spec CommandSpec spec;

  @Mixin SamplingOptions sampling;

  @Option(
      names = "--in",
      paramLabel = "WAV",
      description = "Send this WAV file (any rate; resampled to 24 kHz) instead of the microphone.")
  Path in;

  @Option(
      names = "--out",
      paramLabel = "WAV",
      description = "Write the model's voice to this WAV file (24 kHz, 16-bit).")
  Path out;

  @Option(
      names = "--fast",
      description = "With --in: send as fast as flow control allows instead of in real time.")
  boolean fast;

  @Option(
      names = "--tail",
      paramLabel = "SECONDS",
      defaultValue = "20",
      description = {
        "With --in: the model answers after the question, so after the file the CLI keeps sending"
            + " silence and listening until the model has been quiet for --quiet seconds, at most"
            + " this long (default: ${DEFAULT-VALUE}; 0: stop with the file)."
      })
  double tail;

  @Option(
      names = "--quiet",
      paramLabel = "SECONDS",
      defaultValue = "2",
      description =
          "With --in: how long the model must stay quiet (no text, audio below -40 dBFS) after the"
              + " file for the reply to count as finished (default: ${DEFAULT-VALUE}).")
  double quiet;

  @Option(
      names = "--seconds",
      paramLabel = "SECONDS",
      defaultValue = "0",
      description = "Live chat: stop after this long (default: 0, until Enter is pressed).")
  double seconds;

  @Option(
      names = "--prompt",
      paramLabel = "TEXT",
      description = "Role prompt for a PersonaPlex model (wrapped in <system> tags by the server).")
  String prompt;

  @Option(
      names = "--voice",
      paramLabel = "NAME|FILE.wav",
      description =
          "Voice prompt for a PersonaPlex model: one of the server's voices, or a WAV file"
              + " (a file needs --transport grpc).")
  String voice;

  @Option(
      names = "--transport",
      defaultValue = "grpc",
      description = "grpc (default) or ws (Kyutai's /api/chat protocol).")
  Transport transport;

  @Option(
      names = "--ws-url",
      defaultValue = "ws://127.0.0.1:8998/api/chat",
      paramLabel = "URL",
      description = "/api/chat address for --transport ws (default: ${DEFAULT-VALUE}).")
  URI wsUrl;

  @Override
  public Integer call() throws Exception {
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter stderr = spec.commandLine().getErr();
    if (in == null && out != null) {
      throw new IllegalArgumentException("--out needs --in (a live chat plays the reply instead)");
    }
    if (in != null && out == null) {
      stderr.println(
          "parley: warning: without --out the model's voice is not kept, only its text is printed"
              + " (add --out reply.wav)");
    }
    return in != null ? fileChat(stdout, stderr) : liveChat(stdout, stderr);
  }

  private int fileChat(PrintWriter stdout, PrintWriter stderr) throws Exception {
    WavAudio wav = WavReader.read(in);
    float[] pcm =
        wav.sampleRate() == VoiceLink.RATE
            ? wav.samples()
            : StreamingResampler.resample(wav.samples(), wav.sampleRate(), VoiceLink.RATE);
    ReplyRecorder reply = new ReplyRecorder(stdout, null);
    int inputSamples = pcm.length;
    long tailCap = Math.round(tail * VoiceLink.RATE);
    long quietSamples = Math.round(quiet * VoiceLink.RATE);
    String summary;
    boolean stillTalking = false;
    long tailSent = 0;
    try (ParleyClient client = transport == Transport.grpc ? cli.client() : null;
        VoiceLink link = open(client, reply)) {
      long t0 = System.nanoTime();
      int k = 0;
      for (; k * FRAME < pcm.length; k++) {
        pace(link, t0, k);
        link.send(Arrays.copyOfRange(pcm, k * FRAME, Math.min(pcm.length, (k + 1) * FRAME)));
      }
      // The answer comes after the question: listen on (sending silence) until the model is quiet.
      float[] silence = new float[FRAME];
      while (tailSent < tailCap && !reply.quietSince(inputSamples, quietSamples)) {
        pace(link, t0, k++);
        link.send(silence);
        tailSent += FRAME;
      }
      stillTalking = tailCap > 0 && !reply.quietSince(inputSamples, quietSamples);
      summary = link.finish(Duration.ofSeconds(60 + (pcm.length + tailSent) / VoiceLink.RATE));
    }
    stdout.println();
    float[] voice = reply.audio();
    stderr.printf(
        "%s; reply %.2f s (listened %.2f s after the input)%n",
        summary, voice.length / (double) VoiceLink.RATE, tailSent / (double) VoiceLink.RATE);
    if (stillTalking) {
      stderr.printf(
          "parley: the model was still talking after the %.0f s tail: its reply may be cut off"
              + " (a longer --tail lets it finish)%n",
          tail);
    }
    if (out != null) {
      WavWriter.writeMono(out, voice, VoiceLink.RATE, WavEncoding.PCM_S16);
      stderr.println("wrote " + out);
    }
    return 0;
  }

  private int liveChat(PrintWriter stdout, PrintWriter stderr) throws Exception {
    AtomicReference<Throwable> sendFailure = new AtomicReference<>();
    try (SpeakerPlayback speaker = SpeakerPlayback.open(VoiceLink.RATE, Duration.ofSeconds(2));
        ParleyClient client = transport == Transport.grpc ? cli.client() : null;
        VoiceLink link = open(client, new ReplyRecorder(stdout, speaker))) {
      MicrophoneCapture mic =
          MicrophoneCapture.open(
              VoiceLink.RATE,
              Duration.ofMillis(80),
              pcm -> {
                try {
                  link.send(pcm);
                } catch (RuntimeException e) {
                  sendFailure.compareAndSet(null, e);
                }
              });
      try {
        mic.start();
        stderr.printf(
            "Talking over %s (microphone at %d Hz, speaker at %d Hz). %s%n",
            transport,
            mic.deviceRate(),
            speaker.deviceRate(),
            seconds > 0 ? "Stopping after " + seconds + " s." : "Press Enter to stop.");
        waitForStop(sendFailure);
      } finally {
        mic.close(); // no more audio before the input ends
      }
      String summary = link.finish(Duration.ofSeconds(30));
      speaker.drain(Duration.ofSeconds(5));
      stdout.println();
      stderr.println(summary);
      if (speaker.droppedSamples() > 0) {
        stderr.printf(
            "dropped %.2f s of reply audio the speaker could not keep up with%n",
            ModelAudio.seconds(speaker.droppedSamples()));
      }
    }
    if (sendFailure.get() != null) {
      throw new IllegalStateException(
          "sending microphone audio failed: " + sendFailure.get().getMessage(), sendFailure.get());
    }
    return 0;
  }

  private void waitForStop(AtomicReference<Throwable> failure) throws Exception {
    long end = seconds > 0 ? System.nanoTime() + (long) (seconds * 1e9) : Long.MAX_VALUE;
    var console =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
    while (System.nanoTime() < end && failure.get() == null) {
      if (seconds <= 0 && System.in.available() > 0) {
        console.readLine();
        return;
      }
      Thread.sleep(50);
    }
  }

  private VoiceLink open(ParleyClient client, VoiceSink sink) throws InterruptedException {
    if (transport == Transport.grpc) {
      ConversationOptions.Builder o = ConversationOptions.builder();
      sampling.applyTo(o);
      if (prompt != null) {
        o.textPrompt(prompt);
      }
      if (voiceIsFile()) {
        try {
          o.voicePromptWav(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(voice)));
        } catch (java.io.IOException e) {
          throw new IllegalArgumentException(
              "cannot read voice prompt " + voice + ": " + e.getMessage());
        }
      } else if (voice != null) {
        o.voicePrompt(voice);
      }
      return new GrpcVoiceLink(client, o.build(), sink);
    }
    KyutaiChatOptions.Builder o = KyutaiChatOptions.builder().apiKey(cli.apiKey);
    sampling.applyTo(o);
    if (voiceIsFile()) {
      throw new IllegalArgumentException(
          "--voice FILE.wav needs --transport grpc (/api/chat takes voice names only)");
    }
    if (prompt != null) {
      o.textPrompt(prompt);
    }
    if (voice != null) {
      o.voicePrompt(voice);
    }
    return new WsVoiceLink(wsUrl, o.build(), sink);
  }

  private boolean voiceIsFile() {
    return voice != null
        && voice.toLowerCase(java.util.Locale.ROOT).endsWith(".wav")
        && java.nio.file.Files.isRegularFile(java.nio.file.Path.of(voice));
  }

  /** Real time: frame k leaves at t0 + k * 80 ms; --fast: as soon as flow control allows. */
  private void pace(VoiceLink link, long t0, int k) throws InterruptedException {
    if (fast) {
      if (!link.awaitReady(Duration.ofSeconds(30))) {
        throw new IllegalStateException("the server took no audio for 30 s");
      }
    } else {
      sleepUntil(t0 + k * ModelAudio.FRAME_NANOS);
    }
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long wait = nanoTime - System.nanoTime();
    if (wait > 0) {
      Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
    }
  }

  /** Prints text as it streams, plays or keeps the voice. */
  private static final class ReplyRecorder implements VoiceSink {
    private final PrintWriter stdout;
    private final SpeakerPlayback speaker;

    /** -40 dBFS: below it a reply frame counts as silence. */
    private static final double QUIET_RMS = 0.01;

    private float[] audio = new float[VoiceLink.RATE * 10];
    private int length;
    private long received;
    private long lastSound;

    ReplyRecorder(PrintWriter stdout, SpeakerPlayback speaker) {
      this.stdout = stdout;
      this.speaker = speaker;
    }

    @Override
    public synchronized void onAudio(float[] pcm) {
      double energy = 0;
      for (float x : pcm) {
        energy += (double) x * x;
      }
      if (pcm.length > 0 && Math.sqrt(energy / pcm.length) > QUIET_RMS) {
        lastSound = received + pcm.length;
      }
      received += pcm.length;
      if (speaker != null) {
        speaker.play(pcm);
        return;
      }
      if (length + pcm.length > audio.length) {
        audio = Arrays.copyOf(audio, Math.max(2 * audio.length, length + pcm.length));
      }
      System.arraycopy(pcm, 0, audio, length, pcm.length);
      length += pcm.length;
    }

    @Override
    public void onText(String piece) {
      if (!piece.isBlank()) {
        synchronized (this) {
          lastSound = received;
        }
      }
      stdout.print(piece);
      stdout.flush();
    }

    /**
     * Whether the reply has been quiet (no text, no audio above -40 dBFS) for {@code samples}
     * samples after the first {@code from} samples of reply, the input's length.
     */
    synchronized boolean quietSince(long from, long samples) {
      return received - Math.max(from, lastSound) >= samples;
    }

    synchronized float[] audio() {
      return Arrays.copyOf(audio, length);
    }
  }
}
