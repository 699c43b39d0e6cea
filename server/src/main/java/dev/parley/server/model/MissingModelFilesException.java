package dev.parley.server.model;

import java.io.IOException;
import java.util.List;

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
  public record MissingFile(String name, String expectedAt, String url) {}

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
    if (files.stream().anyMatch(f -> f.expectedAt().contains("<commit"))) {
      b.append(
          "\n(<commit ...> is the commit hash the hub gives for that revision; the cache records it in refs/.)");
    }
    b.append(
        "\nPut the files there (or allow the download), or pass a local directory that holds them: "
            + "--model /path/to/dir");
    return b.toString();
  }
}
