package dev.parley.server.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk layout of Python's {@code huggingface_hub} cache, read and written exactly as that
 * library does, so a model downloaded by either is found by both:
 *
 * <pre>
 * {root}/models--{owner}--{name}/
 *   refs/{revision}                  the commit hash a branch or tag pointed to (no newline)
 *   blobs/{etag}                     file contents, named by sha256 (LFS) or git blob sha1
 *   snapshots/{commit}/{path}        relative symlink to ../../blobs/{etag} (a copy where links fail)
 *   .no_exist/{commit}/{path}        empty marker: the hub said this file does not exist
 * {root}/.locks/models--{owner}--{name}/{etag}.lock
 * </pre>
 */
public final class HubCache {
  private static final Logger LOG = LoggerFactory.getLogger(HubCache.class);
  private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

  private final Path root;

  public HubCache(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  /** A full commit hash, which the cache uses as a snapshot name without going through refs/. */
  public static boolean isCommitHash(String revision) {
    return COMMIT.matcher(revision).matches();
  }

  public static String repoFolderName(String repoId) {
    return "models--" + repoId.replace("/", "--");
  }

  public Path repoDir(String repoId) {
    return root.resolve(repoFolderName(repoId));
  }

  /** The commit a revision points to: itself when it is a commit hash, else what refs/ recorded. */
  public Optional<String> commitOf(String repoId, String revision) throws IOException {
    if (isCommitHash(revision)) {
      return Optional.of(revision);
    }
    Path ref = refPath(repoId, revision);
    if (!Files.isRegularFile(ref)) {
      return Optional.empty();
    }
    String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
    if (!isCommitHash(commit)) {
      LOG.warn("ignoring {}: it does not hold a commit hash", ref);
      return Optional.empty();
    }
    return Optional.of(commit);
  }

  /** The cached file, when the revision's snapshot has it and its blob is present. */
  public Optional<Path> find(String repoId, String revision, String path) throws IOException {
    Optional<String> commit = commitOf(repoId, revision);
    if (commit.isEmpty()) {
      return Optional.empty();
    }
    Path p = snapshotPath(repoId, commit.get(), path);
    return Files.exists(p) ? Optional.of(p) : Optional.empty();
  }

  /** True when an earlier look-up recorded that the revision has no such file. */
  public boolean isKnownMissing(String repoId, String revision, String path) throws IOException {
    Optional<String> commit = commitOf(repoId, revision);
    return commit.isPresent() && Files.exists(noExistPath(repoId, commit.get(), path));
  }

  public Path refPath(String repoId, String revision) {
    return repoDir(repoId).resolve("refs").resolve(revision);
  }

  public Path snapshotDir(String repoId, String commit) {
    return repoDir(repoId).resolve("snapshots").resolve(requireCommit(commit));
  }

  public Path snapshotPath(String repoId, String commit, String path) {
    return snapshotDir(repoId, commit).resolve(FileReference.requireRelative(path));
  }

  public Path blobPath(String repoId, String etag) {
    return repoDir(repoId).resolve("blobs").resolve(requireEtag(etag));
  }

  /** Where a download in progress accumulates; a later run resumes from its length. */
  public Path incompletePath(String repoId, String etag) {
    return repoDir(repoId).resolve("blobs").resolve(requireEtag(etag) + ".incomplete");
  }

  public Path lockPath(String repoId, String etag) {
    return root.resolve(".locks")
        .resolve(repoFolderName(repoId))
        .resolve(requireEtag(etag) + ".lock");
  }

  Path noExistPath(String repoId, String commit, String path) {
    return repoDir(repoId)
        .resolve(".no_exist")
        .resolve(requireCommit(commit))
        .resolve(FileReference.requireRelative(path));
  }

  /** Records that a branch or tag points to {@code commit}; a commit revision needs no ref. */
  public void writeRef(String repoId, String revision, String commit) throws IOException {
    requireCommit(commit);
    if (revision.equals(commit)) {
      return;
    }
    Path ref = refPath(repoId, revision);
    if (Files.isRegularFile(ref)
        && Files.readString(ref, StandardCharsets.UTF_8).strip().equals(commit)) {
      return;
    }
    Files.createDirectories(ref.getParent());
    Path tmp = Files.createTempFile(ref.getParent(), ".ref", ".tmp");
    Files.writeString(tmp, commit, StandardCharsets.UTF_8);
    Files.move(tmp, ref, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Records that the commit has no such file, so offline runs know it is absent rather than
   * unknown.
   */
  public void markMissing(String repoId, String commit, String path) throws IOException {
    Path marker = noExistPath(repoId, commit, path);
    Files.createDirectories(marker.getParent());
    if (!Files.exists(marker)) {
      Files.createFile(marker);
    }
  }

  /**
   * Makes {@code snapshots/{commit}/{path}} point at the blob with a relative symlink (so the cache
   * can be moved), or holds a copy of it where the file system refuses links.
   */
  public Path link(String repoId, String commit, String path, Path blob) throws IOException {
    Path pointer = snapshotPath(repoId, commit, path);
    Files.createDirectories(pointer.getParent());
    Path target = pointer.getParent().relativize(blob.toAbsolutePath().normalize());
    Files.deleteIfExists(pointer);
    try {
      Files.createSymbolicLink(pointer, target);
    } catch (FileAlreadyExistsException e) {
      // Another process linked it between our delete and create: its link is as good as ours.
    } catch (UnsupportedOperationException | IOException e) {
      LOG.warn(
          "cannot create a symlink at {} ({}); copying the blob instead", pointer, e.toString());
      Files.copy(blob, pointer, StandardCopyOption.REPLACE_EXISTING);
    }
    return pointer;
  }

  private static String requireCommit(String commit) {
    if (!isCommitHash(commit)) {
      throw new IllegalArgumentException("not a commit hash: " + commit);
    }
    return commit;
  }

  /** Etags become file names: hex digests in practice; anything with a separator is refused. */
  private static String requireEtag(String etag) {
    if (etag.isEmpty() || etag.contains("/") || etag.contains("\\") || etag.startsWith(".")) {
      throw new IllegalArgumentException("unusable etag for a cache file name: " + etag);
    }
    return etag;
  }
}
