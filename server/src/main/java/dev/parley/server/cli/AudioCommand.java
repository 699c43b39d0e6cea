package dev.parley.server.cli;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.opus.OggOpusReader;
import dev.parley.codec.opus.OggOpusWriter;
import dev.parley.codec.resample.StreamingResampler;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavReader;
import dev.parley.codec.wav.WavWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Offline conversions through the same audio layer the server uses. */
@Command(
    mixinStandardHelpOptions = true,
    name = "audio",
    description = "Convert audio with Parley's audio layer.",
    subcommands = {
      AudioCommand.ToOpus.class,
      AudioCommand.ToWav.class,
      AudioCommand.Resample.class
    })
public final class AudioCommand {

  @Command(
      mixinStandardHelpOptions = true,
      name = "to-opus",
      description = "Encode a WAV file (any rate) as 24 kHz mono Ogg Opus, as Parley streams it.")
  static final class ToOpus implements Callable<Integer> {
    @Parameters(index = "0", description = "input WAV")
    Path in;

    @Parameters(index = "1", description = "output .opus")
    Path out;

    @Option(
        names = "--packet-ms",
        defaultValue = "20",
        description = "Opus packet duration: 10, 20, 40 or 60 ms")
    int packetMs;

    @Option(names = "--bitrate", defaultValue = "32000", description = "bits per second")
    int bitrate;

    @Override
    public Integer call() throws IOException {
      WavAudio wav = WavReader.read(in);
      float[] pcm =
          StreamingResampler.resample(wav.samples(), wav.sampleRate(), ModelAudio.SAMPLE_RATE);
      OggOpusWriter.Options options =
          OggOpusWriter.Options.speech24k().withPacketMillis(packetMs).withBitrate(bitrate);
      try (OutputStream os = Files.newOutputStream(out);
          OggOpusWriter writer = new OggOpusWriter(options, page -> write(os, page))) {
        writer.write(pcm);
      }
      System.out.printf(
          "%s: %.2f s at %d Hz -> %s (%d bytes)%n",
          in, wav.durationSeconds(), wav.sampleRate(), out, Files.size(out));
      return 0;
    }
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "to-wav",
      description = "Decode an Ogg Opus file to a mono WAV file.")
  static final class ToWav implements Callable<Integer> {
    @Parameters(index = "0", description = "input .opus / .ogg")
    Path in;

    @Parameters(index = "1", description = "output WAV")
    Path out;

    @Option(
        names = "--rate",
        defaultValue = "24000",
        description = "8000, 12000, 16000, 24000 or 48000")
    int rate;

    @Option(
        names = "--encoding",
        defaultValue = "PCM_S16",
        description = "one of ${COMPLETION-CANDIDATES}")
    WavEncoding encoding;

    @Override
    public Integer call() throws IOException {
      float[][] pcm = {new float[0]};
      int[] n = {0};
      OggOpusReader reader =
          new OggOpusReader(
              rate,
              (x, off, len) -> {
                if (n[0] + len > pcm[0].length) {
                  pcm[0] = Arrays.copyOf(pcm[0], Math.max(2 * pcm[0].length, n[0] + len));
                }
                System.arraycopy(x, off, pcm[0], n[0], len);
                n[0] += len;
              });
      try (InputStream is = Files.newInputStream(in)) {
        byte[] buf = new byte[8192];
        for (int r; (r = is.read(buf)) > 0; ) {
          reader.feed(buf, 0, r);
        }
      }
      reader.finish();
      WavWriter.writeMono(out, Arrays.copyOf(pcm[0], n[0]), rate, encoding);
      System.out.printf("%s -> %s: %d samples at %d Hz%n", in, out, n[0], rate);
      return 0;
    }
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "resample",
      description = "Resample a WAV file (mixed down to mono).")
  static final class Resample implements Callable<Integer> {
    @Parameters(index = "0")
    Path in;

    @Parameters(index = "1")
    Path out;

    @Option(names = "--rate", required = true, description = "output sample rate")
    int rate;

    @Option(
        names = "--encoding",
        defaultValue = "FLOAT32",
        description = "one of ${COMPLETION-CANDIDATES}")
    WavEncoding encoding;

    @Override
    public Integer call() throws IOException {
      WavAudio wav = WavReader.read(in);
      WavWriter.writeMono(
          out, StreamingResampler.resample(wav.samples(), wav.sampleRate(), rate), rate, encoding);
      return 0;
    }
  }

  private static void write(OutputStream os, byte[] page) {
    try {
      os.write(page);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private AudioCommand() {}
}
