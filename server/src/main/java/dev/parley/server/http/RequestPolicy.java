package dev.parley.server.http;

/**
 * What a route lets a request cost before the route sees it: whether the API key must be in the
 * headers (checked before any body byte is read) and how large its body may be (413 past it). A
 * route declares its policy in {@link HttpRouter#policy}.
 *
 * @param needsKey the key is checked from the headers when the server has keys
 * @param maxBodyBytes largest body accepted
 * @param refusals how the edge's refusals of this route's requests are written
 */
public record RequestPolicy(boolean needsKey, int maxBodyBytes, RefusalFormat refusals) {
  /** Bodies of requests that carry no payload of their own (GET, a WebSocket upgrade). */
  public static final int SMALL_BODY_BYTES = 64 << 10;

  /** Health probes and static files: open to all, small bodies. */
  public static final RequestPolicy PUBLIC = new RequestPolicy(false, SMALL_BODY_BYTES);

  /** A keyed route without a payload (a WebSocket upgrade, {@code /metrics}, {@code /api/info}). */
  public static final RequestPolicy KEYED = new RequestPolicy(true, SMALL_BODY_BYTES);

  /** A keyed route that takes a file (transcription uploads). */
  public static final RequestPolicy KEYED_UPLOAD =
      new RequestPolicy(true, HttpFrontEnd.MAX_UPLOAD_BYTES);

  public RequestPolicy {
    if (maxBodyBytes < 0) {
      throw new IllegalArgumentException("maxBodyBytes must not be negative");
    }
    if (refusals == null) {
      throw new IllegalArgumentException("refusals must be given");
    }
  }

  /** A policy whose refusals are plain text. */
  public RequestPolicy(boolean needsKey, int maxBodyBytes) {
    this(needsKey, maxBodyBytes, RefusalFormat.PLAIN);
  }
}
