package dev.parley.server.model;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Draws one progress line per file on a terminal stream (stderr, so stdout stays clean for output),
 * redrawn in place with {@code \r} at most ten times a second. Plain Java: a progress library would
 * pull in a terminal library for one line of text.
 */
public final class ConsoleProgress implements DownloadProgress {
  private static final int BAR = 24;
  private static final long REDRAW_NANOS = 100_000_000L;

  private final PrintStream out;
  private final LongSupplier nanoClock;
  private String file;
  private long startNanos;
  private long startBytes;
  private long lastDraw;
  private int lastWidth;

  public ConsoleProgress(PrintStream out) {
    this(out, System::nanoTime);
  }

  ConsoleProgress(PrintStream out, LongSupplier nanoClock) {
    this.out = out;
    this.nanoClock = nanoClock;
  }

  public static ConsoleProgress stderr() {
    return new ConsoleProgress(System.err);
  }

  @Override
  public synchronized void update(String name, long done, long total) {
    long now = nanoClock.getAsLong();
    if (!name.equals(file)) {
      if (file != null) {
        out.println();
      }
      file = name;
      startNanos = now;
      startBytes = done;
      lastWidth = 0;
    } else if (now - lastDraw < REDRAW_NANOS && done != total) {
      return;
    }
    draw(done, total, now);
  }

  @Override
  public synchronized void finished(String name, long total) {
    if (name.equals(file)) {
      draw(total, total, nanoClock.getAsLong());
    } else {
      out.print(name + "  " + bytes(total) + "  done");
    }
    out.println();
    out.flush();
    file = null;
  }

  private void draw(long done, long total, long now) {
    lastDraw = now;
    StringBuilder line = new StringBuilder(file).append("  ");
    if (total > 0) {
      int filled = (int) Math.min(BAR, done * BAR / total);
      line.append(String.format(Locale.ROOT, "%3d%% [", Math.min(100, done * 100 / total)))
          .append("#".repeat(filled))
          .append(".".repeat(BAR - filled))
          .append("]  ")
          .append(bytes(done))
          .append(" / ")
          .append(bytes(total));
    } else {
      line.append(bytes(done));
    }
    double seconds = (now - startNanos) / 1e9;
    if (seconds > 0.5) {
      line.append("  ").append(bytes((long) ((done - startBytes) / seconds))).append("/s");
    }
    int width = line.length();
    line.append(" ".repeat(Math.max(0, lastWidth - width)));
    lastWidth = width;
    out.print("\r" + line);
    out.flush();
  }

  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
