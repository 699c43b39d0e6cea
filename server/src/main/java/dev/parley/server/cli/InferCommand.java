package dev.parley.server.cli;

import ai.djl.ndarray.types.DataType;
import dev.parley.codec.resample.StreamingResampler;
import dev.parley.codec.torch.TorchRuntime;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavReader;
import dev.parley.codec.wav.WavWriter;
import dev.parley.server.inference.OfflineInference;
import dev.parley.server.lm.SamplingParams;
import dev.parley.server.model.ModelReference;
import dev.parley.server.model.SpeechModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Offline dialogue (or transcription) over a file, like Kyutai's moshi-inference. */
@Command(name = "infer", description = "Run a model over a WAV file: dialogue writes audio, STT writes the transcript.")
public final class InferCommand implements Callable<Integer> {
  @Option(names = "--model", defaultValue = "demo",
      description = "demo, a local directory, or a Hugging Face repo id[@revision] (default ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--half", description = "Compute the LM in float16.")
  boolean half;

  @Option(names = "--text-out", description = "Also write the printed text to this file.")
  Path textOut;

  @Option(names = "--greedy", description = "Argmax decoding.")
  boolean greedy;

  @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Mixin
  DeviceOptions device;

  @Parameters(index = "0", description = "input WAV (any rate)") Path in;

  @Parameters(index = "1", description = "output: WAV for dialogue models, text for STT models") Path out;

  @Override
  public Integer call() throws IOException {
    if (device.threads != null) {
      TorchRuntime.setThreads(device.threads);
    }
    WavAudio wav = WavReader.read(in);
    float[] pcm = wav.sampleRate() == 24000 ? wav.samples()
        : StreamingResampler.resample(wav.samples(), wav.sampleRate(), 24000);
    try (SpeechModel m = SpeechModel.load(ModelReference.parse(model), ModelFiles.resolver(),
        TorchRuntime.device(device.device), half ? DataType.FLOAT16 : DataType.FLOAT32)) {
      if (m.isDemo()) {
        System.err.println("demo model: random weights, so the output audio is not speech");
      }
      var gen = m.config().lmGenConfig();
      SamplingParams text = greedy ? SamplingParams.GREEDY
          : new SamplingParams(gen.path("temp_text").asDouble(0.7), gen.path("top_k_text").asInt(25), 0);
      SamplingParams audio = greedy ? SamplingParams.GREEDY
          : new SamplingParams(gen.path("temp").asDouble(0.8), gen.path("top_k").asInt(250), 0);
      long t0 = System.nanoTime();
      OfflineInference.Result r = OfflineInference.run(m, pcm, text, audio, seed);
      double secs = (System.nanoTime() - t0) / 1e9;
      if (m.lm().config().depQ() > 0) {
        WavWriter.writeMono(out, r.pcm(), 24000, WavEncoding.FLOAT32);
      } else {
        Files.writeString(out, r.text().strip() + "\n", StandardCharsets.UTF_8);
      }
      if (textOut != null) {
        Files.writeString(textOut, r.text().strip() + "\n", StandardCharsets.UTF_8);
      }
      System.out.println(r.text().strip());
      System.err.printf("%s: %.2f s in, %d steps in %.1f s (%.1f ms/step) -> %s%n", in, wav.durationSeconds(),
          r.steps(), secs, 1000 * secs / Math.max(1, r.steps()), out);
    }
    return 0;
  }
}
