package dev.parley.server.model;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Files a model needs are not on this machine and cannot be downloaded now. The message names each
 * file, where it belongs and where it would come from, and the local-directory alternative, so a
 * user on an offline machine knows exactly what to copy where.
 */
public final class MissingModelFilesException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * One missing file.
   *
   * @param name the name as the model refers to it (e.g. {@code model.safetensors}, {@code
   *     hf://...})
   * @param expectedAt where it would be found: the cache snapshot path, or the path in the
   *     directory
   * @param url where it would be downloaded from, or null for a local file
   */
  public record MissingFile(String name, String expectedAt, String url, HubPlace hub) {
    public MissingFile(String name, String expectedAt, String url) {
      this(name, expectedAt, url, null);
    }
  }

  /**
   * Where a hub file comes from and belongs: the repository, the revision asked for, the path in
   * the repository, and the repository's folder in this machine's Hugging Face cache.
   */
  public record HubPlace(String repoId, String revision, String path, String cacheFolder) {}

  private final String model;
  private final String reason;
  private final transient List<MissingFile> files;

  public MissingModelFilesException(
      String model, String reason, List<MissingFile> files, Throwable cause) {
    super(message(model, reason, files), cause);
    this.model = model;
    this.reason = reason;
    this.files = List.copyOf(files);
  }

  public String model() {
    return model;
  }

  public String reason() {
    return reason;
  }

  public List<MissingFile> files() {
    return files;
  }

  /** The same failure with more files (and a note on why those are asked for). */
  public MissingModelFilesException with(List<MissingFile> more, String note) {
    List<MissingFile> all = new java.util.ArrayList<>(more);
    all.addAll(files);
    return new MissingModelFilesException(model, reason + ". " + note, all, getCause());
  }

  private static String message(String model, String reason, List<MissingFile> files) {
    StringBuilder b =
        new StringBuilder("model ")
            .append(model)
            .append(": ")
            .append(files.size())
            .append(files.size() == 1 ? " file is" : " files are")
            .append(" missing (")
            .append(reason)
            .append("):");
    for (MissingFile f : files) {
      b.append("\n  ").append(f.name()).append("\n      expected at: ").append(f.expectedAt());
      if (f.url() != null) {
        b.append("\n      download from: ").append(f.url());
      }
    }
    Map<String, List<HubPlace>> byRepo = new LinkedHashMap<>();
    for (MissingFile f : files) {
      if (f.hub() != null) {
        byRepo.computeIfAbsent(f.hub().repoId(), k -> new ArrayList<>()).add(f.hub());
      }
    }
    if (byRepo.isEmpty()) {
      b.append(
          "\nPut the files there, or pass a local directory that holds them: "
              + "--model /path/to/dir (--mimi for the codec commands).");
      return b.toString();
    }
    b.append("\nTwo ways out:")
        .append("\n  1. a plain directory holding these files, passed instead of the repo id: ")
        .append("--model /path/to/dir (--stt-model, --tts-model, --mimi alike);")
        .append(
            "\n  2. the Hugging Face cache: copy the repository's folder, as a download writes it")
        .append(" (its refs/, snapshots/ and blobs/), to");
    byRepo.values().forEach(places -> b.append("\n       ").append(places.get(0).cacheFolder()));
    b.append(
        "\n     (the cache is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub).");
    b.append("\nOn a machine with internet access (pip install -U huggingface_hub):");
    for (List<HubPlace> places : byRepo.values()) {
      HubPlace p = places.get(0);
      String fileArgs =
          places.stream().map(HubPlace::path).distinct().collect(Collectors.joining(" "));
      String rev = p.revision().equals("main") ? "" : " --revision " + p.revision();
      String dir = p.repoId().substring(p.repoId().indexOf('/') + 1);
      b.append("\n  huggingface-cli download ")
          .append(p.repoId())
          .append(rev)
          .append(' ')
          .append(fileArgs)
          .append(" --local-dir ")
          .append(dir)
          .append("    # for 1.; without --local-dir: into that machine's cache, for 2.");
    }
    return b.toString();
  }
}
