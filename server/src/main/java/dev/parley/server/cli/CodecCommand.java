package dev.parley.server.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.parley.codec.mimi.MimiConfig;
import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.mimi.MimiOffline;
import dev.parley.codec.resample.StreamingResampler;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.tensor.SafeTensorsWriter;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavReader;
import dev.parley.codec.wav.WavWriter;
import dev.parley.server.model.DemoModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Mimi over files: WAV → codes and codes → WAV, whole-sequence or frame by frame. */
@Command(
    mixinStandardHelpOptions = true,
    name = "codec",
    description = "Encode audio to Mimi codes and decode them back.",
    subcommands = {CodecCommand.Encode.class, CodecCommand.Decode.class})
public final class CodecCommand {

  /** {@code --mimi demo}: the demo models' Mimi, built in memory, so the codec runs offline. */
  static final String DEMO = "demo";

  /** Options shared by both directions. */
  static final class MimiOptions {
    @Option(
        names = "--mimi",
        description =
            "Mimi weights: demo (the offline demo's Mimi, random weights: its audio is not "
                + "speech), a .safetensors file, a directory holding Kyutai's Mimi file, or a "
                + "Hugging Face repo id (default: Kyutai's Mimi from ${DEFAULT-VALUE}).",
        defaultValue = MimiSource.DEFAULT_REPO)
    String mimi;

    @Option(
        names = "--mimi-config",
        description = "Mimi config JSON (default: Kyutai's released Mimi).")
    Path config;

    @Option(
        names = "--streaming",
        description = "Feed one 80 ms frame per call, as a live session does.")
    boolean streaming;

    @Mixin DeviceOptions device;

    boolean demo() {
      return DEMO.equals(mimi);
    }

    MimiConfig config(Integer codebooks) throws IOException {
      MimiConfig c =
          config != null
              ? MimiConfig.fromJson(config)
              : demo() ? DemoModel.mimiConfig() : MimiConfig.kyutai();
      return codebooks == null ? c : c.withCodebooks(codebooks);
    }

    MimiModel load(MimiConfig c, NDManager m) throws IOException {
      return demo()
          ? DemoModel.mimi(c, m)
          : MimiModel.load(MimiSource.resolve(mimi), c, m, DataType.FLOAT32);
    }
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "encode",
      description = "WAV (any rate; float WAV read without quantization) → I64 codes [1,K,F].")
  static final class Encode implements Callable<Integer> {
    @Mixin MimiOptions options;

    @Option(
        names = "--codebooks",
        description = "Codebooks to emit (default: the config's, 8 for Kyutai's Mimi).")
    Integer codebooks;

    @Parameters(index = "0", description = "input WAV")
    Path in;

    @Parameters(index = "1", description = "output .safetensors with tensor 'codes'")
    Path out;

    @Override
    public Integer call() throws IOException {
      MimiConfig c = options.config(codebooks);
      WavAudio wav = WavReader.read(in);
      float[] pcm =
          wav.sampleRate() == c.sampleRate()
              ? wav.samples()
              : StreamingResampler.resample(wav.samples(), wav.sampleRate(), c.sampleRate());
      try (NDManager m = options.device.manager()) {
        MimiModel mimi = options.load(c, m);
        long[][] codes = MimiOffline.encode(mimi, pcm, options.streaming, m);
        int k = codes.length;
        int f = codes[0].length;
        long[] flat = new long[k * f];
        for (int i = 0; i < k; i++) {
          System.arraycopy(codes[i], 0, flat, i * f, f);
        }
        new SafeTensorsWriter().putLongs("codes", new long[] {1, k, f}, flat).write(out);
        System.err.printf(
            "%s: %.2f s -> %d frames x %d codebooks (%s) -> %s%n",
            in,
            wav.durationSeconds(),
            f,
            k,
            options.streaming ? "streaming" : "whole sequence",
            out);
      }
      return 0;
    }
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "decode",
      description = "I64 codes [1,K,F] → 32-bit float WAV at 24 kHz.")
  static final class Decode implements Callable<Integer> {
    @Mixin MimiOptions options;

    @Parameters(index = "0", description = "input .safetensors with tensor 'codes' [1,K,F]")
    Path in;

    @Parameters(index = "1", description = "output WAV")
    Path out;

    @Override
    public Integer call() throws IOException {
      long[][] codes;
      try (SafeTensorsFile f = SafeTensorsFile.open(in)) {
        long[] shape = f.info("codes").shape();
        if (shape.length != 3 || shape[0] != 1) {
          throw new IllegalArgumentException(
              "'codes' must be [1, K, F], got " + java.util.Arrays.toString(shape));
        }
        long[] flat = f.longs("codes");
        int k = (int) shape[1];
        int frames = (int) shape[2];
        codes = new long[k][frames];
        for (int i = 0; i < k; i++) {
          System.arraycopy(flat, i * frames, codes[i], 0, frames);
        }
      }
      MimiConfig c = options.config(codes.length);
      try (NDManager m = options.device.manager()) {
        MimiModel mimi = options.load(c, m);
        float[] pcm = MimiOffline.decode(mimi, codes, options.streaming, m);
        WavWriter.writeMono(out, pcm, c.sampleRate(), WavEncoding.FLOAT32);
        System.err.printf(
            "%s: %d frames x %d codebooks -> %.2f s (%s) -> %s%n",
            in,
            codes[0].length,
            codes.length,
            pcm.length / (double) c.sampleRate(),
            options.streaming ? "streaming" : "whole sequence",
            out);
      }
      return 0;
    }
  }
}
