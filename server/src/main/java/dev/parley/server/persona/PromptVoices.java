package dev.parley.server.persona;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.resample.StreamingResampler;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The voice prompts a server offers: the WAV files of one folder (PersonaPlex's {@code voices/} as
 * WAV), each named by its file name without {@code .wav}. A voice is read when asked for, at any
 * rate and channel count, and returned as 24 kHz mono.
 */
public final class PromptVoices {
  private final Path dir; // null: no voices

  private PromptVoices(Path dir) {
    this.dir = dir;
  }

  public static PromptVoices none() {
    return new PromptVoices(null);
  }

  public static PromptVoices in(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("prompt voice folder " + dir + " does not exist");
    }
    return new PromptVoices(dir);
  }

  /** The voice names, sorted. */
  public List<String> names() {
    if (dir == null) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.toLowerCase(Locale.ROOT).endsWith(".wav"))
          .map(n -> n.substring(0, n.length() - 4))
          .sorted()
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  /**
   * The named voice (a name, or a file name ending in {@code .wav}) as 24 kHz mono.
   *
   * @throws IllegalArgumentException naming the voices there are, when it is unknown
   */
  public float[] load(String name) throws IOException {
    String stem =
        name.toLowerCase(Locale.ROOT).endsWith(".wav")
            ? name.substring(0, name.length() - 4)
            : name;
    if (dir == null || !names().contains(stem)) {
      throw new IllegalArgumentException(
          "unknown voice prompt '"
              + name
              + "'; available: "
              + (names().isEmpty() ? "none" : String.join(", ", names())));
    }
    return mono24k(WavReader.read(dir.resolve(stem + ".wav")));
  }

  /** Voice audio sent by a client (a WAV file's bytes) as 24 kHz mono. */
  public static float[] fromWavBytes(byte[] wav) {
    try {
      return mono24k(WavReader.read(new ByteArrayInputStream(wav)));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "the voice prompt is not a readable WAV file: " + e.getMessage());
    }
  }

  static float[] mono24k(WavAudio wav) {
    float[] s = wav.samples();
    int ch = wav.channels();
    if (ch > 1) {
      float[] mono = new float[s.length / ch];
      for (int i = 0; i < mono.length; i++) {
        float sum = 0;
        for (int c = 0; c < ch; c++) {
          sum += s[i * ch + c];
        }
        mono[i] = sum / ch;
      }
      s = mono;
    }
    return wav.sampleRate() == ModelAudio.SAMPLE_RATE
        ? s
        : StreamingResampler.resample(s, wav.sampleRate(), ModelAudio.SAMPLE_RATE);
  }
}
