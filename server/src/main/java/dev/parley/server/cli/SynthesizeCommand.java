package dev.parley.server.cli;

import ai.djl.ndarray.types.DataType;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.torch.TorchRuntime;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavWriter;
import dev.parley.server.model.ModelReference;
import dev.parley.server.tts.SynthesisModel;
import dev.parley.server.tts.TtsEngine;
import dev.parley.server.tts.TtsListener;
import dev.parley.server.tts.TtsOptions;
import dev.parley.server.tts.TtsSettings;
import dev.parley.server.tts.TtsSummary;
import dev.parley.server.tts.TtsWord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Offline text-to-speech into a WAV file, like Kyutai's {@code tts_pytorch.py}: the same engine the
 * server runs, one session, no network.
 */
@Command(
    mixinStandardHelpOptions = true,
    name = "synthesize",
    description = "Speak text into a WAV file with a TTS model (offline).")
public final class SynthesizeCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      defaultValue = SynthesisModel.DEMO_NAME,
      description =
          "demo-tts, a local directory, or a Hugging Face repo id[@revision] such as kyutai/tts-1.6b-en_fr "
              + "(default ${DEFAULT-VALUE}).")
  String model;

  @Option(
      names = "--text",
      description =
          "The text (else --text-file, else standard input). Speaker turns: " + "repeat --text.")
  List<String> text;

  @Option(
      names = "--text-file",
      description = "Read the text from this file; one speaker turn per paragraph.")
  Path textFile;

  @Option(
      names = {"-o", "--output"},
      required = true,
      description = "Output WAV (24 kHz mono float).")
  Path output;

  @Option(
      names = "--voice",
      description = "Voice name, one per speaker (default: the model's default voice).")
  List<String> voices;

  @Option(
      names = "--voices",
      description = "Folder of voice files (default: kyutai/tts-voices in the HF cache).")
  Path voicesDir;

  @Option(
      names = "--temperature",
      description = "Sampling temperature (default: 0.6; 0 for the demo).")
  Float temperature;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Sampling seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--cfg", description = "CFG strength (default 2.0).")
  Double cfg;

  @Option(names = "--codebooks", description = "Audio codebooks to generate (default: up to 24).")
  Integer codebooks;

  @Option(names = "--timings", description = "Print each word's start and end on standard output.")
  boolean timings;

  @Option(names = "--half", description = "Compute the LM in float16.")
  boolean half;

  @Mixin DeviceOptions device;

  @Override
  public Integer call() throws Exception {
    if (device.threads != null) {
      TorchRuntime.setThreads(device.threads);
    }
    List<String> turns = turns();
    var target = TorchRuntime.device(device.device);
    try (SynthesisModel m =
        model.equals(SynthesisModel.DEMO_NAME)
            ? SynthesisModel.demo(target)
            : SynthesisModel.load(
                ModelReference.parse(model),
                ModelFiles.resolver(),
                target,
                half ? DataType.FLOAT16 : DataType.FLOAT32,
                voicesDir,
                null)) {
      if (m.isDemo()) {
        System.err.println("demo-tts: random weights, so the audio is not speech");
      }
      TtsSettings settings = TtsSettings.of(m);
      if (codebooks != null) {
        settings = settings.withCodebooks(codebooks);
      }
      TtsOptions options = TtsOptions.defaults().withSampling(temperature, seed).withCfg(cfg);
      if (voices != null && voices.size() == 1 && m.config().multiSpeaker()) {
        // One voice in one speaker slot, as tts_pytorch.py does (the server puts it in both).
        options = options.withCustomVoice(m.voices().get(voices.get(0)));
      } else if (voices != null) {
        options = options.withVoices(voices);
      }
      Collected c = new Collected();
      long t0 = System.nanoTime();
      try (TtsEngine engine = new TtsEngine(m, settings, 1)) {
        engine.synthesize(turns, options, c);
        String reason = c.closed.get(1, TimeUnit.HOURS);
        if (reason != null) {
          throw new IllegalStateException("synthesis failed: " + reason);
        }
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      WavWriter.writeMono(output, c.pcm(), ModelAudio.SAMPLE_RATE, WavEncoding.FLOAT32);
      if (timings) {
        for (TtsWord w : c.words) {
          // The layout of parley speak --timings: start, end (s, to the ms), word; tab-separated.
          System.out.printf(
              Locale.ROOT, "%.3f\t%.3f\t%s%n", w.startSeconds(), w.endSeconds(), w.text());
        }
      }
      TtsSummary s = c.summary;
      System.err.printf(
          Locale.ROOT,
          "%d words, %.2f s of audio, %d steps in %.1f s (%.1fx real time); first audio "
              + "after %.0f ms -> %s%n",
          s.words(),
          s.audioSeconds(),
          s.steps(),
          secs,
          s.audioSeconds() / secs,
          s.firstAudioNanos() / 1e6,
          output);
    }
    return 0;
  }

  private List<String> turns() throws IOException {
    if (text != null && textFile != null) {
      throw new IllegalArgumentException("give the text with --text or --text-file, not both");
    }
    if (text != null) {
      return text;
    }
    String all;
    if (textFile != null) {
      all = Files.readString(textFile, StandardCharsets.UTF_8);
    } else {
      ByteArrayOutputStream in = new ByteArrayOutputStream();
      System.in.transferTo(in);
      all = in.toString(StandardCharsets.UTF_8);
    }
    List<String> turns = new ArrayList<>();
    for (String p : all.split("\\n\\s*\\n")) {
      if (!p.isBlank()) {
        turns.add(p.strip());
      }
    }
    if (turns.isEmpty()) {
      throw new IllegalArgumentException("no text to speak");
    }
    return turns;
  }

  /** What the one session produced. */
  private static final class Collected implements TtsListener {
    final List<float[]> frames = new ArrayList<>();
    final List<TtsWord> words = new ArrayList<>();
    final CompletableFuture<String> closed = new CompletableFuture<>();
    TtsSummary summary;

    @Override
    public void onAudio(float[] pcm) {
      frames.add(pcm.clone());
    }

    @Override
    public void onWord(TtsWord word) {
      words.add(word);
    }

    @Override
    public void onEnd(TtsSummary s) {
      summary = s;
    }

    @Override
    public void onClosed(String reason) {
      closed.complete(reason);
    }

    float[] pcm() {
      float[] all = new float[frames.size() * ModelAudio.FRAME_SAMPLES];
      for (int i = 0; i < frames.size(); i++) {
        System.arraycopy(
            frames.get(i), 0, all, i * ModelAudio.FRAME_SAMPLES, ModelAudio.FRAME_SAMPLES);
      }
      return all;
    }
  }
}
