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
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The voice prompts a server offers: the WAV files of one folder (PersonaPlex's {@code voices/}),
 * each named by its file name without {@code .wav}. A client may also name a voice as PersonaPlex's
 * own clients do, by a file name: {@code NATF2.wav}, or {@code NATF2.pt} (the fork's precomputed
 * embedding of that voice), both meaning {@code NATF2.wav}. A {@code .pt} file alone is no voice
 * here: Parley builds every prompt from the audio, and reads no torch pickles. A voice is read when
 * asked for (so a file dropped into the folder shows up), at any rate and channel count, and
 * returned as 24 kHz mono.
 */
public final class PromptVoices {
  private static final String WAV = ".wav";
  private static final String PT = ".pt";

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

  /** The folder the voices are read from; empty for none. */
  public Optional<Path> folder() {
    return Optional.ofNullable(dir);
  }

  /** The voice names, sorted. */
  public List<String> names() {
    return List.copyOf(files(WAV).keySet());
  }

  /**
   * The names of the {@code .pt} embeddings that have no WAV beside them, sorted: voices this
   * server cannot offer.
   */
  public List<String> embeddingsOnly() {
    Map<String, Path> wavs = files(WAV);
    return files(PT).keySet().stream().filter(n -> !wavs.containsKey(n)).toList();
  }

  /**
   * The named voice (a name, or a file name ending in {@code .wav} or {@code .pt}) as 24 kHz mono.
   *
   * @throws IllegalArgumentException naming the voices there are, when it is unknown
   */
  public float[] load(String name) throws IOException {
    String stem = stem(name);
    Path wav = files(WAV).get(stem);
    if (wav == null) {
      String available = names().isEmpty() ? "none" : String.join(", ", names());
      if (embeddingsOnly().contains(stem)) {
        throw new IllegalArgumentException(
            "voice prompt '"
                + name
                + "' exists only as a precomputed .pt embedding, which this server does not read"
                + " (it builds prompts from WAV audio); available: "
                + available);
      }
      throw new IllegalArgumentException(
          "unknown voice prompt '" + name + "'; available: " + available);
    }
    return mono24k(WavReader.read(wav));
  }

  /** {@code NATF2}, {@code NATF2.wav} and {@code NATF2.pt} all name the voice {@code NATF2}. */
  private static String stem(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    for (String ext : List.of(WAV, PT)) {
      if (lower.endsWith(ext)) {
        return name.substring(0, name.length() - ext.length());
      }
    }
    return name;
  }

  /** The folder's regular files with this extension (any case), by name without it. */
  private Map<String, Path> files(String ext) {
    Map<String, Path> byName = new TreeMap<>();
    if (dir == null) {
      return byName;
    }
    try (Stream<Path> files = Files.list(dir)) {
      files
          .filter(Files::isRegularFile)
          .forEach(
              p -> {
                String n = p.getFileName().toString();
                if (n.toLowerCase(Locale.ROOT).endsWith(ext) && n.length() > ext.length()) {
                  byName.putIfAbsent(n.substring(0, n.length() - ext.length()), p);
                }
              });
    } catch (IOException e) {
      // A folder that cannot be listed offers no voices; load's error then lists none.
    }
    return byName;
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
