package dev.parley.server.http;

import io.netty.handler.codec.PrematureChannelClosureException;
import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failures at the connection edge, logged once per cause and then at most once a minute per cause
 * with the count in between: a flood of resets or malformed requests never becomes a log flood.
 * Peers going away (I/O errors, a hang-up mid-request) are expected and only logged at debug level.
 */
public final class EdgeLog {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeLog.class);
  private static final long INTERVAL_NANOS = 60_000_000_000L;
  private static final ConcurrentHashMap<String, Window> WINDOWS = new ConcurrentHashMap<>();

  private EdgeLog() {}

  private static final class Window {
    final AtomicLong suppressed = new AtomicLong();
    volatile long lastNanos;
  }

  public static void failure(Object where, Throwable cause) {
    if (cause instanceof IOException || cause instanceof PrematureChannelClosureException) {
      LOG.debug("{}: {}", where, cause.toString());
      return;
    }
    String key = cause.getClass().getName();
    Window w = WINDOWS.computeIfAbsent(key, k -> new Window());
    long now = System.nanoTime();
    synchronized (w) {
      boolean first = w.lastNanos == 0;
      if (!first && now - w.lastNanos < INTERVAL_NANOS) {
        w.suppressed.incrementAndGet();
        return;
      }
      w.lastNanos = now;
      long more = w.suppressed.getAndSet(0);
      if (first) {
        LOG.warn("{} failed", where, cause);
      } else {
        LOG.warn("{} failed: {} ({} more like it in the last minute)", where, cause, more);
      }
    }
  }
}
