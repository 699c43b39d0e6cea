package dev.parley.server.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes files into a hub cache the way Python's huggingface_hub leaves them, spelled out by hand
 * (no Parley code), so tests read exactly what a Python download would have left behind.
 */
final class PythonCacheLayout {
  private PythonCacheLayout() {}

  /**
   * {@code blobs/{etag}} with the content, {@code snapshots/{commit}/{path}} a relative symlink to
   * it ({@code os.path.relpath}: one {@code ..} per folder level), and {@code refs/{revision}}
   * holding the commit without a newline.
   */
  static Path put(
      Path cacheRoot,
      String repoId,
      String revision,
      String commit,
      String path,
      byte[] content,
      boolean lfs)
      throws IOException {
    Path repo = cacheRoot.resolve("models--" + repoId.replace("/", "--"));
    String etag = lfs ? Digests.sha256(content) : Digests.gitBlobSha1(content);
    Path blob = repo.resolve("blobs").resolve(etag);
    Files.createDirectories(blob.getParent());
    Files.write(blob, content);
    Path pointer = repo.resolve("snapshots").resolve(commit).resolve(path);
    Files.createDirectories(pointer.getParent());
    int depth = path.split("/").length; // file name plus its folders inside the snapshot
    String up = "../".repeat(depth + 1);
    Files.createSymbolicLink(pointer, Path.of(up + "blobs/" + etag));
    if (!revision.equals(commit)) {
      Path ref = repo.resolve("refs").resolve(revision);
      Files.createDirectories(ref.getParent());
      Files.writeString(ref, commit, StandardCharsets.UTF_8);
    }
    return pointer;
  }

  /** The empty marker huggingface_hub writes when the hub answers EntryNotFound. */
  static void noExist(Path cacheRoot, String repoId, String revision, String commit, String path)
      throws IOException {
    Path repo = cacheRoot.resolve("models--" + repoId.replace("/", "--"));
    Path marker = repo.resolve(".no_exist").resolve(commit).resolve(path);
    Files.createDirectories(marker.getParent());
    Files.createFile(marker);
    Path ref = repo.resolve("refs").resolve(revision);
    Files.createDirectories(ref.getParent());
    Files.writeString(ref, commit, StandardCharsets.UTF_8);
  }
}
