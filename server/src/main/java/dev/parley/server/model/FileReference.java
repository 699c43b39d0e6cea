package dev.parley.server.model;

import dev.parley.server.model.ModelReference.HubRepository;
import java.nio.file.Path;

/**
 * A file name as a Kyutai {@code config.json} writes it (moshi {@code loaders.hf_get}): a plain
 * path inside the model itself, {@code hf://owner/repo/path} for a file of another repository, or
 * {@code file://path} for a file on this machine.
 */
public sealed interface FileReference {

  /** A file of the model being resolved, relative to its directory or snapshot. */
  record InModel(String path) implements FileReference {
    public InModel {
      requireRelative(path);
    }
  }

  /**
   * A file of another hub repository. Its revision is always {@code main}: a revision of the
   * model's own repository means nothing in another one (the reference passes it along anyway,
   * which only works for {@code main}).
   */
  record InRepository(HubRepository repository, String path) implements FileReference {
    public InRepository {
      requireRelative(path);
    }
  }

  /** A local file; relative paths are relative to the working directory, as in the reference. */
  record LocalFile(Path path) implements FileReference {}

  String HF_PREFIX = "hf://";
  String FILE_PREFIX = "file://";

  static FileReference parse(String text) {
    if (text.startsWith(HF_PREFIX)) {
      String[] parts = text.substring(HF_PREFIX.length()).split("/", 3);
      if (parts.length < 3 || parts[2].isEmpty()) {
        throw new IllegalArgumentException(
            "'" + text + "' must look like hf://owner/repo/path/in/repo");
      }
      return new InRepository(new HubRepository(parts[0] + "/" + parts[1]), parts[2]);
    }
    if (text.startsWith(FILE_PREFIX)) {
      String p = text.substring(FILE_PREFIX.length());
      if (p.isEmpty()) {
        throw new IllegalArgumentException("'" + text + "' names no file");
      }
      return new LocalFile(Path.of(p));
    }
    return new InModel(text);
  }

  /**
   * Repository paths become paths under the cache's snapshot folder, so they must stay inside it:
   * forward slashes, no empty, '.' or '..' segments, not absolute.
   */
  static String requireRelative(String path) {
    boolean ok = !path.isEmpty() && !path.startsWith("/") && !path.contains("\\");
    if (ok) {
      for (String seg : path.split("/", -1)) {
        if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
          ok = false;
          break;
        }
      }
    }
    if (!ok) {
      throw new IllegalArgumentException(
          "'"
              + path
              + "' is not a relative path inside a model repository "
              + "(use file:///absolute/path for a file outside it)");
    }
    return path;
  }
}
