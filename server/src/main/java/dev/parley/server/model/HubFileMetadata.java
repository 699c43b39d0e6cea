package dev.parley.server.model;

import java.net.URI;
import java.util.regex.Pattern;

/**
 * What the hub's {@code HEAD /{repo}/resolve/{revision}/{path}} says about a file.
 *
 * @param commit the commit the revision resolved to ({@code X-Repo-Commit})
 * @param etag the blob's name in the cache: sha256 for LFS files ({@code X-Linked-Etag}), else the
 *     git blob sha1 ({@code ETag}), quotes and any {@code W/} removed
 * @param size bytes ({@code X-Linked-Size}, else {@code Content-Length}); -1 when not given
 * @param location where to GET the bytes: the CDN redirect target for LFS files, else the resolve
 *     URL
 */
public record HubFileMetadata(String commit, String etag, long size, URI location) {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  /** True when the etag is a sha256 digest of the content, which the download then checks. */
  public boolean etagIsSha256() {
    return SHA256.matcher(etag).matches();
  }

  /**
   * Strips the quoting HTTP puts around entity tags: {@code W/"abc"} and {@code "abc"} become
   * {@code abc}.
   */
  static String normalizeEtag(String raw) {
    String e = raw.strip();
    if (e.startsWith("W/")) {
      e = e.substring(2);
    }
    if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
      e = e.substring(1, e.length() - 1);
    }
    return e;
  }
}
