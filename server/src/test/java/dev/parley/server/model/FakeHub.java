package dev.parley.server.model;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback stand-in for the Hugging Face hub, answering as the real one does: {@code HEAD/GET
 * /{owner}/{name}/resolve/{revision}/{path}} gives, for an LFS file, a 302 to a CDN URL with {@code
 * X-Repo-Commit}, {@code X-Linked-Etag} (the sha256) and {@code X-Linked-Size}; for a small file, a
 * 200 with {@code ETag} (the git blob sha1) and {@code X-Repo-Commit}; for a missing file a 404
 * with {@code X-Error-Code: EntryNotFound}. The CDN ({@code /cdn/{sha256}}) and small-file GETs
 * honour {@code Range: bytes=N-}. Every request is recorded so tests can check what the client
 * sent.
 */
final class FakeHub implements AutoCloseable {
  private static final Pattern RESOLVE = Pattern.compile("/([^/]+)/([^/]+)/resolve/([^/]+)/(.+)");
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

  /** One request as the server saw it; header names lower-case. */
  record Request(String method, String path, Map<String, String> headers, long bytesSent) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private record HubFile(byte[] content, boolean lfs) {}

  private record Repo(String commit, Map<String, HubFile> files) {}

  private final HttpServer server;
  private final Map<String, Repo> repos = new ConcurrentHashMap<>();
  private final Map<String, byte[]> cdn = new ConcurrentHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private volatile boolean ignoreRange;
  private volatile long cutNextCdnAnswerAfter = -1;
  private volatile String requiredToken;

  FakeHub() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** A resolver with its cache at {@code cacheRoot} that downloads from this hub, or is offline. */
  ModelResolver resolver(java.nio.file.Path cacheRoot, boolean offline) {
    HubSettings s = new HubSettings(cacheRoot, endpoint(), java.util.Optional.empty(), offline);
    HubCache cache = new HubCache(cacheRoot);
    return new ModelResolver(cache, new HubDownloader(s, cache, DownloadProgress.NONE));
  }

  /** Adds (or replaces) a file; returns the repo's commit, which is fixed by the repo id. */
  String put(String repoId, String path, byte[] content, boolean lfs) {
    Repo repo =
        repos.computeIfAbsent(
            repoId, id -> new Repo(Digests.commit(id), new ConcurrentHashMap<>()));
    repo.files().put(path, new HubFile(content, lfs));
    if (lfs) {
      cdn.put(Digests.sha256(content), content);
    }
    return repo.commit();
  }

  String commit(String repoId) {
    return repos.get(repoId).commit();
  }

  /** The CDN serves other bytes (same length) than the ones whose sha256 the hub announces. */
  void corruptCdn(byte[] content) {
    byte[] bad = content.clone();
    bad[bad.length / 2] ^= 0x5a;
    cdn.put(Digests.sha256(content), bad);
  }

  /** Answer GETs with the whole file (200), as a server without range support would. */
  void ignoreRange(boolean ignore) {
    ignoreRange = ignore;
  }

  /**
   * The next CDN answer announces the full length but the connection drops after {@code n} bytes.
   */
  void cutNextCdnAnswerAfter(long n) {
    cutNextCdnAnswerAfter = n;
  }

  /** Resolve requests without this bearer token get 401, as for a private repo. */
  void requireToken(String token) {
    requiredToken = token;
  }

  List<Request> requests() {
    return List.copyOf(requests);
  }

  List<Request> requests(String method, String pathPrefix) {
    List<Request> r = new ArrayList<>();
    for (Request q : requests) {
      if (q.method().equals(method) && q.path().startsWith(pathPrefix)) {
        r.add(q);
      }
    }
    return r;
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    long[] sent = {-1};
    try (ex) {
      String raw = ex.getRequestURI().getRawPath();
      if (raw.startsWith("/cdn/")) {
        serveCdn(ex, raw.substring(5), sent);
      } else {
        serveResolve(ex, raw, sent);
      }
    } finally {
      if (sent[0] < 0) {
        record(ex, 0);
      }
    }
  }

  /**
   * Logs a request; a body's is logged before its last byte goes out, so a client that has it all
   * sees it.
   */
  private void record(HttpExchange ex, long bytesSent) {
    Map<String, String> headers = new HashMap<>();
    ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.get(0)));
    requests.add(
        new Request(
            ex.getRequestMethod(),
            URLDecoder.decode(ex.getRequestURI().getRawPath(), StandardCharsets.UTF_8),
            headers,
            bytesSent));
  }

  private void serveResolve(HttpExchange ex, String raw, long[] sent) throws IOException {
    Matcher m = RESOLVE.matcher(raw);
    if (!m.matches()) {
      empty(ex, 404, sent);
      return;
    }
    String repoId = m.group(1) + "/" + m.group(2);
    String revision = URLDecoder.decode(m.group(3), StandardCharsets.UTF_8);
    String path = URLDecoder.decode(m.group(4), StandardCharsets.UTF_8);
    Repo repo = repos.get(repoId);
    Headers h = ex.getResponseHeaders();
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (repo == null || (requiredToken != null && !("Bearer " + requiredToken).equals(auth))) {
      h.set("X-Error-Code", "RepoNotFound");
      empty(ex, 401, sent);
      return;
    }
    if (!revision.equals("main") && !revision.equals(repo.commit())) {
      h.set("X-Error-Code", "RevisionNotFound");
      empty(ex, 404, sent);
      return;
    }
    h.set("X-Repo-Commit", repo.commit());
    HubFile file = repo.files().get(path);
    if (file == null) {
      h.set("X-Error-Code", "EntryNotFound");
      empty(ex, 404, sent);
      return;
    }
    if (file.lfs()) {
      String sha = Digests.sha256(file.content());
      h.set("X-Linked-Etag", "\"" + sha + "\"");
      h.set("X-Linked-Size", String.valueOf(file.content().length));
      h.set(
          "ETag",
          "\""
              + Digests.gitBlobSha1(
                  ("version https://git-lfs.github.com/spec/v1\noid sha256:" + sha)
                      .getBytes(StandardCharsets.UTF_8))
              + "\"");
      h.set("Location", endpoint() + "/cdn/" + sha);
      empty(ex, 302, sent);
      return;
    }
    h.set("ETag", "\"" + Digests.gitBlobSha1(file.content()) + "\"");
    body(ex, file.content(), -1, sent);
  }

  private void serveCdn(HttpExchange ex, String sha, long[] sent) throws IOException {
    byte[] content = cdn.get(sha);
    if (content == null) {
      empty(ex, 404, sent);
      return;
    }
    long cut = cutNextCdnAnswerAfter;
    cutNextCdnAnswerAfter = -1;
    body(ex, content, cut, sent);
  }

  /**
   * Sends the content, or from the requested offset with 206; {@code cut >= 0} drops the connection
   * early.
   */
  private void body(HttpExchange ex, byte[] content, long cut, long[] sent) throws IOException {
    int from = 0;
    String range = ex.getRequestHeaders().getFirst("Range");
    Matcher rm = range == null ? null : RANGE.matcher(range);
    if (rm != null && rm.matches() && !ignoreRange) {
      from = Integer.parseInt(rm.group(1));
      if (from >= content.length) {
        ex.getResponseHeaders().set("Content-Range", "bytes */" + content.length);
        empty(ex, 416, sent);
        return;
      }
      ex.getResponseHeaders()
          .set(
              "Content-Range", "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
    }
    int status = from > 0 ? 206 : 200;
    byte[] part = Arrays.copyOfRange(content, from, content.length);
    if (ex.getRequestMethod().equals("HEAD")) {
      ex.getResponseHeaders().set("Content-Length", String.valueOf(part.length));
      sent[0] = 0;
      record(ex, 0); // before the answer: a client that has it sees the request logged
      ex.sendResponseHeaders(status, -1);
      return;
    }
    ex.sendResponseHeaders(status, part.length);
    OutputStream out = ex.getResponseBody();
    int n = cut >= 0 ? (int) Math.min(cut, part.length) : part.length;
    out.write(part, 0, Math.max(0, n - 1));
    out.flush();
    sent[0] = n;
    record(ex, n);
    if (n > 0) {
      out.write(part, n - 1, 1);
      out.flush();
    }
    if (n < part.length) {
      // Drop the connection mid-body, as a network failure would.
      throw new IOException("fake hub: connection cut after " + n + " bytes");
    }
  }

  private void empty(HttpExchange ex, int status, long[] sent) throws IOException {
    sent[0] = 0;
    record(ex, 0); // before the answer: a client that has it sees the request logged
    ex.sendResponseHeaders(status, -1);
  }
}
