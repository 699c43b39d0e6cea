package dev.parley.server.cli;

import ai.djl.ndarray.types.DataType;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.resample.StreamingResampler;
import dev.parley.codec.torch.TorchRuntime;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavReader;
import dev.parley.codec.wav.WavWriter;
import dev.parley.server.dialogue.DialogueEngine;
import dev.parley.server.dialogue.DialogueOptions;
import dev.parley.server.dialogue.DialoguePrompt;
import dev.parley.server.inference.OfflineDialogue;
import dev.parley.server.inference.OfflineInference;
import dev.parley.server.inference.OfflineTranscription;
import dev.parley.server.inference.TranscriptFormats;
import dev.parley.server.lm.SamplingParams;
import dev.parley.server.model.ModelReference;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.persona.PromptVoices;
import dev.parley.server.persona.RepoVoices;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Offline dialogue over a file, like Kyutai's moshi-inference, or offline transcription, like
 * Kyutai's {@code stt_from_file_pytorch.py} ({@link OfflineTranscription}) when the model is a
 * transcription model ({@code dep_q} 0, e.g. {@code demo-stt} or {@code kyutai/stt-1b-en_fr}). A
 * PersonaPlex model, or any run with {@code --prompt} / {@code --voice}, goes through the dialogue
 * engine as one session ({@link OfflineDialogue}), so it gets exactly what a served session gets.
 */
@Command(
    mixinStandardHelpOptions = true,
    name = "infer",
    description = "Run a model over a WAV file: dialogue writes audio, STT writes the transcript.")
public final class InferCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      defaultValue = "demo",
      description =
          "demo, demo-stt, a local directory, or a Hugging Face repo id[@revision] (default ${DEFAULT-VALUE}).")
  String model;

  @Option(
      names = "--format",
      description =
          "Transcription models: text, json, srt or vtt "
              + "(default: from the output's extension, else text).")
  String format;

  @Option(
      names = {"-o", "--output"},
      description =
          "Output file (instead of the second argument). "
              + "Transcription models write to standard output without one.")
  Path output;

  @Option(
      names = "--tokens",
      description = "Transcription models, JSON: include every step's text token.")
  boolean tokens;

  @Option(names = "--half", description = "Compute the LM in float16.")
  boolean half;

  @Option(
      names = "--text-out",
      description =
          "Also write the printed text (transcription: the plain transcript) to this file.")
  Path textOut;

  @Option(
      names = "--greedy",
      description = "Argmax decoding (transcription models always decode greedily).")
  boolean greedy;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Sampling seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--prompt",
      paramLabel = "TEXT",
      description =
          "Role prompt for a PersonaPlex model, fed before the conversation (wrapped in <system>"
              + " tags unless already wrapped).")
  String prompt;

  @Option(
      names = "--voice",
      paramLabel = "NAME|FILE.wav",
      description =
          "Voice prompt for a PersonaPlex model: a WAV file (any rate), or a voice name in"
              + " --prompt-voices.")
  String voice;

  @Option(
      names = "--prompt-voices",
      paramLabel = "DIR",
      description =
          "Folder of WAV voice prompts (<name>.wav) that --voice NAME picks from (default: a"
              + " PersonaPlex repo's voices.tgz, as serve).")
  Path promptVoicesDir;

  @Mixin DeviceOptions device;

  @Parameters(index = "0", description = "input WAV (any rate)")
  Path in;

  @Parameters(
      index = "1",
      arity = "0..1",
      description =
          "output: WAV for dialogue models; the transcript for STT models (default: standard output)")
  Path out;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (device.threads != null) {
      TorchRuntime.setThreads(device.threads);
    }
    if (out != null && output != null) {
      throw new IllegalArgumentException(
          "give the output either as the second argument or with -o, not both");
    }
    Path target = output != null ? output : out;
    TranscriptFormats.Format fmt =
        format != null
            ? TranscriptFormats.Format.parse(format)
            : target != null
                ? TranscriptFormats.Format.ofFileName(target.getFileName().toString())
                : TranscriptFormats.Format.TEXT;
    WavAudio wav = WavReader.read(in);
    float[] pcm =
        wav.sampleRate() == ModelAudio.SAMPLE_RATE
            ? wav.samples()
            : StreamingResampler.resample(wav.samples(), wav.sampleRate(), ModelAudio.SAMPLE_RATE);
    try (SpeechModel m =
        SpeechModel.load(
            ModelReference.parse(model),
            ModelFiles.resolver(),
            TorchRuntime.device(device.device),
            half ? DataType.FLOAT16 : DataType.FLOAT32)) {
      if (m.lm().config().depQ() == 0) {
        if (prompt != null || voice != null) {
          throw new IllegalArgumentException(
              "--prompt and --voice are for dialogue models; " + m.name() + " transcribes");
        }
        return transcribe(m, wav, pcm, target, fmt);
      }
      if (target == null) {
        throw new IllegalArgumentException(
            "a dialogue model writes audio: give the output WAV (second argument or -o)");
      }
      if (format != null || tokens) {
        throw new IllegalArgumentException(
            "--format and --tokens are for transcription models; "
                + m.name()
                + " is a dialogue model");
      }
      Path out = target;
      if (m.isDemo()) {
        System.err.println("demo model: random weights, so the output audio is not speech");
      }
      var gen = m.config().lmGenConfig();
      SamplingParams text =
          greedy
              ? SamplingParams.GREEDY
              : new SamplingParams(
                  gen.path("temp_text").asDouble(0.7), gen.path("top_k_text").asInt(25), 0);
      SamplingParams audio =
          greedy
              ? SamplingParams.GREEDY
              : new SamplingParams(gen.path("temp").asDouble(0.8), gen.path("top_k").asInt(250), 0);
      long t0 = System.nanoTime();
      OfflineInference.Result r =
          prompt != null || voice != null
              ? prompted(m, pcm, new DialogueOptions(text, audio, seed))
              : OfflineInference.run(m, pcm, text, audio, seed);
      double secs = (System.nanoTime() - t0) / 1e9;
      WavWriter.writeMono(out, r.pcm(), ModelAudio.SAMPLE_RATE, WavEncoding.FLOAT32);
      if (textOut != null) {
        Files.writeString(textOut, r.text().strip() + "\n", StandardCharsets.UTF_8);
      }
      System.out.println(r.text().strip());
      System.err.printf(
          "%s: %.2f s in, %d steps in %.1f s (%.1f ms/step) -> %s%n",
          in, wav.durationSeconds(), r.steps(), secs, 1000 * secs / Math.max(1, r.steps()), out);
    }
    return 0;
  }

  /** The file as one served session with the prompt, which the engine checks the model takes. */
  private OfflineInference.Result prompted(SpeechModel m, float[] pcm, DialogueOptions options)
      throws IOException, InterruptedException {
    DialogueEngine engine = OfflineDialogue.engine(m);
    OfflineInference.Result r;
    try {
      DialoguePrompt p;
      if (voice != null && Files.isRegularFile(Path.of(voice))) {
        float[] audio = PromptVoices.fromWavBytes(Files.readAllBytes(Path.of(voice)));
        p = engine.prompt(prompt, audio, Path.of(voice).getFileName().toString());
      } else {
        if (voice != null) {
          engine.usePromptVoices(
              RepoVoices.choose(
                  promptVoicesDir, m, ModelReference.parse(model), ModelFiles.resolver()));
        }
        p = engine.prompt(prompt, voice);
      }
      r = OfflineDialogue.run(engine, options.withPrompt(p), pcm);
    } finally {
      engine.close();
    }
    // Once the engine has stopped its count is final: the prompt's steps and one per frame.
    return new OfflineInference.Result(r.pcm(), r.text(), r.textTokens(), (int) engine.steps());
  }

  /** The transcript of a transcription model, by the reference driver's rules. */
  private int transcribe(
      SpeechModel m, WavAudio wav, float[] pcm, Path target, TranscriptFormats.Format fmt)
      throws IOException {
    if (m.isDemo()) {
      System.err.println(m.name() + ": random weights, so the transcript is not what was said");
    }
    OfflineTranscription.Result r = OfflineTranscription.run(m, pcm);
    String doc = TranscriptFormats.render(fmt, r, tokens);
    if (target == null) {
      System.out.print(doc);
      System.out.flush();
    } else {
      Files.writeString(target, doc, StandardCharsets.UTF_8);
    }
    if (textOut != null) {
      Files.writeString(textOut, TranscriptFormats.text(r.words()), StandardCharsets.UTF_8);
    }
    System.err.printf(
        java.util.Locale.ROOT,
        "%s: %.2f s in (%d Hz), %d words, %d steps in %.1f s (%.1f ms/step, "
            + "%.1fx real time)%s%n",
        in,
        wav.durationSeconds(),
        wav.sampleRate(),
        r.words().size(),
        r.steps(),
        r.seconds(),
        1000 * r.seconds() / Math.max(1, r.steps()),
        r.audioSeconds() / Math.max(1e-9, r.seconds()),
        target == null ? "" : " -> " + target);
    return 0;
  }
}
