package dev.parley.server.config;

import java.time.Duration;

/**
 * What a connection may cost the server before its request is admitted (key checked, body within
 * the route's limit): nobody without a key holds memory or a connection for long.
 *
 * @param requestTimeout a request's head must arrive whole within this, and its body must not stall
 *     for longer (408); an idle keep-alive connection is closed after it too
 * @param maxPendingConnections connections at once that have not yet had a request admitted; more
 *     are refused at once (503)
 * @param maxInitialLineBytes longest request line (414 past it)
 * @param maxHeaderBytes most bytes of headers (431 past it)
 * @param maxUploadBytes request-body bytes the whole server buffers at once, over every connection
 *     (each request reserves its declared length, or its route's limit when chunked, until its
 *     response is written); a request past it is refused at once (503), so many admitted uploads
 *     cannot together exhaust memory
 */
public record HttpLimits(
    Duration requestTimeout,
    int maxPendingConnections,
    int maxInitialLineBytes,
    int maxHeaderBytes,
    long maxUploadBytes) {

  public HttpLimits {
    if (requestTimeout.isNegative()
        || requestTimeout.isZero()
        || maxPendingConnections < 1
        || maxInitialLineBytes < 64
        || maxHeaderBytes < 256
        || maxUploadBytes < 1) {
      throw new IllegalArgumentException("HTTP limits must be positive: " + this);
    }
  }

  /**
   * 10 s to send a request, 1024 connections waiting, 8 KiB request line, 16 KiB of headers, 256
   * MiB of request bodies buffered at once.
   */
  public static HttpLimits defaults() {
    return new HttpLimits(Duration.ofSeconds(10), 1024, 8 << 10, 16 << 10, 256L << 20);
  }

  public HttpLimits withRequestTimeout(Duration d) {
    return new HttpLimits(
        d, maxPendingConnections, maxInitialLineBytes, maxHeaderBytes, maxUploadBytes);
  }

  public HttpLimits withMaxPendingConnections(int n) {
    return new HttpLimits(requestTimeout, n, maxInitialLineBytes, maxHeaderBytes, maxUploadBytes);
  }

  public HttpLimits withMaxUploadBytes(long bytes) {
    return new HttpLimits(
        requestTimeout, maxPendingConnections, maxInitialLineBytes, maxHeaderBytes, bytes);
  }
}
