package dev.parley.server.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fetches one blob: GET into {@code blobs/{etag}.incomplete}, resuming with {@code Range} from
 * whatever an interrupted run left there, checks the size and (for LFS files, whose etag is the
 * sha256) the digest, and only then renames it to {@code blobs/{etag}}, so a blob in the cache is
 * always whole. A lock file keeps two Parley processes from writing the same blob.
 */
final class BlobTransfer {
  private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(30);
  private static final int BUFFER = 1 << 20;
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-\\d+/(\\d+|\\*)");

  /** FileChannel locks are per process; threads of this process queue on these monitors instead. */
  private static final Map<Path, Object> LOCAL_LOCKS = new ConcurrentHashMap<>();

  private final HttpClient http;
  private final DownloadProgress progress;

  BlobTransfer(HttpClient http, DownloadProgress progress) {
    this.http = http;
    this.progress = progress;
  }

  void fetch(
      HubFileMetadata meta,
      String label,
      Path blob,
      Path partial,
      Path lockFile,
      Optional<String> authorization)
      throws IOException {
    Files.createDirectories(lockFile.getParent());
    Files.createDirectories(partial.getParent());
    synchronized (LOCAL_LOCKS.computeIfAbsent(lockFile, k -> new Object())) {
      try (FileChannel ch =
          FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        FileLock lock = ch.lock();
        try {
          if (Files.exists(blob)) {
            return; // another process finished it while we waited
          }
          MessageDigest digest = meta.etagIsSha256() ? newSha256() : null;
          receive(meta, label, partial, authorization, digest);
          verify(meta, label, partial, digest);
          try {
            Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE);
          } catch (AtomicMoveNotSupportedException e) {
            Files.move(partial, blob, StandardCopyOption.REPLACE_EXISTING);
          }
          progress.finished(label, Files.size(blob));
        } finally {
          lock.release();
        }
      }
    }
  }

  /**
   * Brings {@code partial} to the full file, resuming where it stops. The digest, when given, is
   * fed the bytes already on disk and then each arriving chunk, so the file is read only once.
   */
  private void receive(
      HubFileMetadata meta,
      String label,
      Path partial,
      Optional<String> authorization,
      MessageDigest digest)
      throws IOException {
    long expected = meta.size();
    for (int attempt = 0; attempt < 2; attempt++) {
      long have = Files.exists(partial) ? Files.size(partial) : 0;
      if (expected >= 0 && have > expected) {
        Files.delete(partial);
        have = 0;
      }
      if (expected >= 0 && have == expected && have > 0) {
        if (digest != null) {
          digest.reset();
          update(digest, partial); // an earlier run got every byte but stopped before the rename
        }
        return;
      }
      progress.update(label, have, expected);
      HttpResponse<InputStream> r = get(meta.location(), have, authorization);
      int status = r.statusCode();
      boolean append;
      if (status == 206) {
        long start = rangeStart(r);
        if (start != have) {
          r.body().close();
          throw new HubException(
              "the server resumed " + label + " at byte " + start + " instead of " + have);
        }
        append = true;
      } else if (status == 200) {
        append = false; // the server ignored Range: start over
        have = 0;
      } else if (status == 416 && have > 0) {
        r.body().close();
        Files.delete(partial); // what we have is not a prefix of this file
        continue;
      } else {
        r.body().close();
        throw status == 429 || status >= 500
            ? new HubUnreachableException(
                "downloading " + label + ": HTTP " + status + "; try again later", null)
            : new HubException(
                "downloading " + label + " from " + meta.location() + ": HTTP " + status);
      }
      if (digest != null) {
        digest.reset();
        if (append) {
          update(digest, partial);
        }
      }
      copy(r.body(), partial, append, have, expected, label, digest);
      return;
    }
    throw new HubException("cannot resume " + label + ": the server keeps refusing the range");
  }

  private void copy(
      InputStream body,
      Path partial,
      boolean append,
      long have,
      long expected,
      String label,
      MessageDigest digest)
      throws IOException {
    long done = have;
    try (InputStream in = body;
        OutputStream out =
            Files.newOutputStream(
                partial,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
      byte[] buf = new byte[BUFFER];
      for (int n; (n = in.read(buf)) > 0; ) {
        out.write(buf, 0, n);
        if (digest != null) {
          digest.update(buf, 0, n);
        }
        done += n;
        progress.update(label, done, expected);
      }
    } catch (IOException e) {
      throw new HubUnreachableException(
          "the download of "
              + label
              + " stopped after "
              + done
              + " bytes ("
              + HubDownloader.describe(e)
              + "); run again to resume from "
              + partial,
          e);
    }
  }

  /** Size and digest checks; a file that fails them is deleted so the next run starts clean. */
  private static void verify(HubFileMetadata meta, String label, Path partial, MessageDigest digest)
      throws IOException {
    long size = Files.size(partial);
    if (meta.size() >= 0 && size < meta.size()) {
      throw new HubUnreachableException(
          "the download of "
              + label
              + " ended early at "
              + size
              + " of "
              + meta.size()
              + " bytes; run again to resume from "
              + partial,
          null);
    }
    if (meta.size() >= 0 && size > meta.size()) {
      Files.delete(partial);
      throw new HubException(
          "downloaded "
              + size
              + " bytes of "
              + label
              + " where the hub announced "
              + meta.size()
              + "; the partial file was deleted, run again to retry");
    }
    if (digest != null) {
      String actual = HexFormat.of().formatHex(digest.digest());
      if (!actual.equals(meta.etag())) {
        Files.delete(partial);
        throw new HubException(
            "sha256 mismatch for "
                + label
                + ": the hub says "
                + meta.etag()
                + " but the downloaded bytes hash to "
                + actual
                + "; the partial file was deleted, run again to download it afresh");
      }
    }
  }

  private HttpResponse<InputStream> get(URI uri, long from, Optional<String> authorization)
      throws IOException {
    URI current = uri;
    Optional<String> auth = authorization;
    for (int hop = 0; hop <= HubDownloader.MAX_REDIRECTS; hop++) {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(current)
              .GET()
              .timeout(RESPONSE_TIMEOUT)
              .header("User-Agent", HubDownloader.USER_AGENT)
              .header("Accept-Encoding", "identity");
      if (from > 0) {
        b.header("Range", "bytes=" + from + "-");
      }
      auth.ifPresent(a -> b.header("Authorization", a));
      HttpResponse<InputStream> r;
      try {
        r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while downloading " + current);
      } catch (IOException e) {
        throw new HubUnreachableException(
            "cannot download " + current + " (" + HubDownloader.describe(e) + ")", e);
      }
      Optional<String> location = r.headers().firstValue("Location");
      if (r.statusCode() >= 300 && r.statusCode() < 400 && location.isPresent()) {
        r.body().close();
        URI next = current.resolve(location.get());
        if (!sameOrigin(next, current)) {
          auth = Optional.empty();
        }
        current = next;
        continue;
      }
      return r;
    }
    throw new HubException("too many redirects downloading " + uri);
  }

  private static long rangeStart(HttpResponse<?> r) throws HubException {
    String cr = r.headers().firstValue("Content-Range").orElse("");
    Matcher m = CONTENT_RANGE.matcher(cr.strip());
    if (!m.matches()) {
      throw new HubException("partial answer without a usable Content-Range header: '" + cr + "'");
    }
    return Long.parseLong(m.group(1));
  }

  private static boolean sameOrigin(URI a, URI b) {
    return a.getScheme().equalsIgnoreCase(b.getScheme())
        && String.valueOf(a.getHost()).equalsIgnoreCase(String.valueOf(b.getHost()))
        && a.getPort() == b.getPort();
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  private static void update(MessageDigest digest, Path file) throws IOException {
    if (digest == null) {
      return;
    }
    byte[] buf = new byte[BUFFER];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        digest.update(buf, 0, n);
      }
    }
  }
}
