package dev.parley.server.model;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Downloads single files of hub repositories into the {@link HubCache}, speaking the protocol
 * Python's {@code huggingface_hub} speaks: a {@code HEAD} on the resolve URL, not following the
 * redirect to the CDN, names the commit and the blob; the blob then comes by {@code GET} (see
 * {@link BlobTransfer}) and the snapshot entry and ref are written last.
 */
public final class HubDownloader {
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  static final Duration HEAD_TIMEOUT = Duration.ofSeconds(10);
  static final int MAX_REDIRECTS = 10;
  static final String USER_AGENT = "parley (java " + System.getProperty("java.version") + ")";

  private final HubSettings settings;
  private final HubCache cache;
  private final HttpClient http;
  private final BlobTransfer transfer;

  public HubDownloader(HubSettings settings, HubCache cache, DownloadProgress progress) {
    this.settings = settings;
    this.cache = cache;
    // Redirects are followed by hand: the HEAD must see the hub's own 302, and the token must not
    // follow a redirect to another host.
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .version(HttpClient.Version.HTTP_1_1)
            .build();
    this.transfer = new BlobTransfer(http, progress);
  }

  public HubSettings settings() {
    return settings;
  }

  /** True when {@code HF_HUB_OFFLINE} forbids downloads. */
  public boolean offline() {
    return settings.offline();
  }

  /** {@code {endpoint}/{repo}/resolve/{revision}/{path}}, percent-encoded as the hub expects. */
  public URI fileUrl(String repoId, String revision, String path) {
    return URI.create(
        settings.endpoint()
            + "/"
            + repoId
            + "/resolve/"
            + UrlPaths.encode(revision, /* keepSlash= */ false)
            + "/"
            + UrlPaths.encode(path, /* keepSlash= */ true));
  }

  /**
   * Makes the file present in the cache and returns its snapshot path. A blob that is already there
   * (shared by another revision) is linked, not fetched again.
   *
   * @throws HubEntryNotFoundException the revision has no such file (recorded under .no_exist)
   * @throws HubUnreachableException no network, a timeout, or an interrupted transfer (resumable)
   * @throws HubException any other refusal, including a checksum mismatch
   */
  public Path download(String repoId, String revision, String path) throws IOException {
    if (offline()) {
      throw new IllegalStateException("downloads are disabled (HF_HUB_OFFLINE)");
    }
    URI url = fileUrl(repoId, revision, path);
    HubFileMetadata meta = head(repoId, revision, path);
    cache.writeRef(repoId, revision, meta.commit());
    Path pointer = cache.snapshotPath(repoId, meta.commit(), path);
    if (Files.exists(pointer)) {
      return pointer;
    }
    Path blob = cache.blobPath(repoId, meta.etag());
    if (!Files.exists(blob)) {
      // As huggingface_hub does: the token goes to the hub, not to a CDN the hub redirects to.
      Optional<String> auth = meta.location().equals(url) ? authorization() : Optional.empty();
      transfer.fetch(
          meta,
          path,
          blob,
          cache.incompletePath(repoId, meta.etag()),
          cache.lockPath(repoId, meta.etag()),
          auth);
    }
    return cache.link(repoId, meta.commit(), path, blob);
  }

  /** Asks the hub about one file without downloading it. */
  public HubFileMetadata head(String repoId, String revision, String path) throws IOException {
    URI current = fileUrl(repoId, revision, path);
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(current)
              .method("HEAD", HttpRequest.BodyPublishers.noBody())
              .timeout(HEAD_TIMEOUT)
              .header("User-Agent", USER_AGENT)
              .header("Accept-Encoding", "identity");
      authorization().ifPresent(a -> b.header("Authorization", a));
      HttpResponse<Void> r = send(b.build(), HttpResponse.BodyHandlers.discarding());
      Optional<String> location = r.headers().firstValue("Location");
      int status = r.statusCode();
      // Relative redirects stay on the hub (a renamed repo); an absolute one is the CDN, whose
      // target the metadata names instead of being followed.
      if (status >= 300
          && status < 400
          && location.isPresent()
          && !URI.create(location.get()).isAbsolute()) {
        current = current.resolve(location.get());
        continue;
      }
      if (status >= 400) {
        throw failure(r, repoId, revision, path);
      }
      String commit = r.headers().firstValue("X-Repo-Commit").orElse(null);
      String etag =
          r.headers()
              .firstValue("X-Linked-Etag")
              .or(() -> r.headers().firstValue("ETag"))
              .map(HubFileMetadata::normalizeEtag)
              .orElse(null);
      if (commit == null || !HubCache.isCommitHash(commit) || etag == null || etag.isEmpty()) {
        throw new HubException(
            current
                + " answered without the X-Repo-Commit and ETag headers of a "
                + "Hugging Face hub; check HF_ENDPOINT ("
                + settings.endpoint()
                + ")");
      }
      long size =
          r.headers()
              .firstValue("X-Linked-Size")
              .or(() -> r.headers().firstValue("Content-Length"))
              .map(HubDownloader::parseSize)
              .orElse(-1L);
      URI target =
          status >= 300 && status < 400 && location.isPresent()
              ? current.resolve(location.get())
              : current;
      return new HubFileMetadata(commit, etag, size, target);
    }
    throw new HubException("too many redirects resolving " + fileUrl(repoId, revision, path));
  }

  private Optional<String> authorization() {
    return settings.token().map(t -> "Bearer " + t);
  }

  private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException {
    try {
      return http.send(request, handler);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while contacting " + request.uri());
    } catch (IOException e) {
      throw new HubUnreachableException(
          "cannot reach the Hugging Face hub at " + settings.endpoint() + " (" + describe(e) + ")",
          e);
    }
  }

  /** Turns an error answer into the exception that tells the user what to do. */
  private HubException failure(HttpResponse<?> r, String repoId, String revision, String path)
      throws IOException {
    int status = r.statusCode();
    String code = r.headers().firstValue("X-Error-Code").orElse("");
    String what = repoId + "@" + revision;
    if (code.equals("EntryNotFound") || (status == 404 && code.isEmpty())) {
      Optional<String> commit =
          r.headers().firstValue("X-Repo-Commit").filter(HubCache::isCommitHash);
      if (commit.isPresent()) {
        cache.markMissing(repoId, commit.get(), path);
        cache.writeRef(repoId, revision, commit.get());
      }
      return new HubEntryNotFoundException(what + " has no file " + path);
    }
    if (code.equals("RevisionNotFound")) {
      return new HubException("repository " + repoId + " has no revision '" + revision + "'");
    }
    if (code.equals("GatedRepo") || status == 403) {
      return new HubException(
          "repository "
              + repoId
              + " is gated or forbidden (HTTP "
              + status
              + "): accept its "
              + "conditions on "
              + settings.endpoint()
              + "/"
              + repoId
              + " and set HF_TOKEN to a token of that account");
    }
    if (code.equals("RepoNotFound") || status == 401 || status == 404) {
      return new HubException(
          "repository "
              + repoId
              + " was not found on "
              + settings.endpoint()
              + (settings.token().isPresent()
                  ? ", or the token in use cannot read it"
                  : ", or it is private: set HF_TOKEN to a token that can read it"));
    }
    if (status == 429 || status >= 500) {
      return new HubUnreachableException(
          "the Hugging Face hub answered HTTP "
              + status
              + " for "
              + what
              + " "
              + path
              + "; try again later",
          null);
    }
    return new HubException(
        "the Hugging Face hub answered HTTP "
            + status
            + (code.isEmpty() ? "" : " (" + code + ")")
            + " for "
            + what
            + " "
            + path);
  }

  private static long parseSize(String s) {
    try {
      return Long.parseLong(s.strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * The exception's kind and the first message along its causes (the JDK often leaves the top one
   * empty).
   */
  static String describe(Throwable e) {
    String m = null;
    for (Throwable t = e; t != null && m == null; t = t.getCause()) {
      m = t.getMessage();
    }
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  /** Percent-encoding for URL paths, as Python's {@code urllib.parse.quote}. */
  static final class UrlPaths {
    private UrlPaths() {}

    static String encode(String s, boolean keepSlash) {
      StringBuilder b = new StringBuilder();
      for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
        int c = x & 0xff;
        if ((c >= 'a' && c <= 'z')
            || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9')
            || c == '-'
            || c == '.'
            || c == '_'
            || c == '~'
            || (keepSlash && c == '/')) {
          b.append((char) c);
        } else {
          b.append('%')
              .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
              .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
        }
      }
      return b.toString();
    }
  }
}
