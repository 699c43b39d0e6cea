package dev.parley.server.tts;

import dev.parley.codec.tensor.SafeTensorsFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The voices a TTS model can speak with, by name, as moshi-server's {@code tts.py} finds them:
 * every {@code <name><suffix>} file under a folder (the {@code kyutai/tts-voices} snapshot in the
 * Hugging Face cache, or a local directory), where the suffix {@code .<sig>@<epoch>.safetensors}
 * comes from the model's {@code model_id}. Files are read when first used and kept. A voice not in
 * the folder may still be fetched through the {@link Fetcher} (the hub, when online).
 */
public final class VoiceLibrary {
  /** Hugging Face repo of Kyutai's voice embeddings. */
  public static final String KYUTAI_VOICES_REPO = "kyutai/tts-voices";

  /** moshi-server's default voice for tts-1.6b-en_fr. */
  public static final String KYUTAI_DEFAULT_VOICE =
      "expresso/ex03-ex01_happy_001_channel1_334s.wav";

  /** Fetches one voice file that is not in the folder; empty when it does not exist. */
  @FunctionalInterface
  public interface Fetcher {
    Optional<Path> fetch(String fileName) throws IOException;
  }

  private final String source;
  private final String suffix;
  private final Map<String, Path> files; // name -> file, sorted
  private final Map<String, Voice> loaded = new ConcurrentHashMap<>();
  private final Fetcher fetcher;
  private final String defaultVoice;

  private VoiceLibrary(
      String source,
      String suffix,
      Map<String, Path> files,
      Map<String, Voice> builtin,
      Fetcher fetcher,
      String defaultVoice) {
    this.source = source;
    this.suffix = suffix;
    this.files = Collections.unmodifiableMap(new TreeMap<>(files));
    this.loaded.putAll(builtin);
    this.fetcher = fetcher;
    this.defaultVoice = defaultVoice;
  }

  /** Voices held in memory (the demo model's). */
  public static VoiceLibrary builtin(List<Voice> voices, String defaultVoice) {
    Map<String, Voice> m = new TreeMap<>();
    for (Voice v : voices) {
      m.put(v.name(), v);
    }
    if (!m.containsKey(defaultVoice)) {
      throw new IllegalArgumentException(
          "default voice " + defaultVoice + " is not among " + m.keySet());
    }
    return new VoiceLibrary("builtin", "", Map.of(), m, null, defaultVoice);
  }

  /**
   * Every {@code **}/{@code *<suffix>} file under {@code folder} (which may be absent: no voices
   * but what {@code fetcher} brings).
   *
   * @param fetcher fetches a named voice missing from the folder, or null
   */
  public static VoiceLibrary folder(
      Path folder, String suffix, String source, String defaultVoice, Fetcher fetcher)
      throws IOException {
    if (suffix == null || suffix.isEmpty()) {
      throw new IllegalArgumentException(
          "the model's config names no voice file suffix (model_id sig/epoch)");
    }
    Map<String, Path> files = new TreeMap<>();
    if (folder != null && Files.isDirectory(folder)) {
      try (Stream<Path> all = Files.walk(folder)) {
        for (Path p : (Iterable<Path>) all::iterator) {
          String rel = folder.relativize(p).toString().replace('\\', '/');
          if (rel.endsWith(suffix) && Files.isRegularFile(p)) {
            files.put(rel.substring(0, rel.length() - suffix.length()), p);
          }
        }
      }
    }
    return new VoiceLibrary(source, suffix, files, Map.of(), fetcher, defaultVoice);
  }

  /** Known voice names, sorted (those of the folder; the hub may have more). */
  public List<String> names() {
    List<String> names = new ArrayList<>(files.keySet());
    for (String n : loaded.keySet()) {
      if (!files.containsKey(n)) {
        names.add(n);
      }
    }
    Collections.sort(names);
    return names;
  }

  public String defaultVoice() {
    return defaultVoice;
  }

  public String source() {
    return source;
  }

  /** The voice called {@code name} (empty or null: the default), read on first use. */
  public Voice get(String name) {
    String n = name == null || name.isBlank() ? defaultVoice : name.strip();
    Voice v = loaded.get(n);
    if (v != null) {
      return v;
    }
    if (n.contains("..") || n.startsWith("/")) {
      throw new UnknownVoiceException(n, names());
    }
    try {
      Path file = files.get(n);
      if (file == null && fetcher != null) {
        try {
          file = fetcher.fetch(n + suffix).orElse(null);
        } catch (IOException | RuntimeException e) {
          throw new UnknownVoiceException(
              n, names(), "not in the local voices, and fetching it failed: " + e.getMessage());
        }
      }
      if (file == null) {
        throw new UnknownVoiceException(n, names());
      }
      Voice read = read(n, file, source);
      loaded.put(n, read);
      return read;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read voice " + n + ": " + e.getMessage(), e);
    }
  }

  /** A voice file: tensor {@code speaker_wavs} [1, D, T]. */
  public static Voice read(String name, Path file, String source) throws IOException {
    try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
      if (!f.contains("speaker_wavs")) {
        throw new IOException(file + " has no speaker_wavs tensor");
      }
      long[] shape = f.info("speaker_wavs").shape();
      if (shape.length != 3 || shape[0] != 1) {
        throw new IOException(
            file
                + ": speaker_wavs has shape "
                + java.util.Arrays.toString(shape)
                + ", expected [1, D, T]");
      }
      return new Voice(name, source, f.floats("speaker_wavs"), (int) shape[1], (int) shape[2]);
    }
  }
}
