package dev.parley.client.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * A one-line progress bar redrawn on stderr twice a second while a run lasts: filled by the time
 * elapsed out of a known total, or by a fraction the caller reports (none when it is unknown).
 */
final class ProgressBar implements AutoCloseable {
  private static final int WIDTH = 30;

  private final PrintWriter err;
  private final double totalSeconds;
  private final DoubleSupplier fraction; // null: filled by elapsed time
  private final Supplier<String> status;
  private final long start = System.nanoTime();
  private final Thread thread;
  private volatile boolean running = true;
  private int drawn; // characters of the line now on screen

  /** A bar filled by the time elapsed out of {@code totalSeconds}. */
  ProgressBar(PrintWriter err, double totalSeconds, Supplier<String> status) {
    this(err, totalSeconds, null, status);
  }

  /**
   * A bar filled by {@code fraction} (0 to 1; NaN when the total is unknown: then only the elapsed
   * time and the status are shown).
   */
  ProgressBar(PrintWriter err, DoubleSupplier fraction, Supplier<String> status) {
    this(err, 0, fraction, status);
  }

  private ProgressBar(
      PrintWriter err, double totalSeconds, DoubleSupplier fraction, Supplier<String> status) {
    this.err = err;
    this.totalSeconds = totalSeconds;
    this.fraction = fraction;
    this.status = status;
    this.thread = new Thread(this::loop, "parley-progress");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    while (running) {
      draw();
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private synchronized void draw() {
    double elapsed = (System.nanoTime() - start) / 1e9;
    if (fraction != null) {
      double f = fraction.getAsDouble();
      String bar = "";
      if (!Double.isNaN(f)) {
        int filled = (int) Math.round(WIDTH * Math.max(0, Math.min(1, f)));
        bar = "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] ";
      }
      String line = String.format(Locale.ROOT, "%s%5.1f s  %s", bar, elapsed, status.get());
      err.print("\r" + line + " ".repeat(Math.max(0, drawn - line.length())));
      err.flush();
      drawn = line.length();
      return;
    }
    int filled = (int) Math.min(WIDTH, Math.round(WIDTH * elapsed / totalSeconds));
    err.print(
        String.format(
            Locale.ROOT,
            "\r[%s%s] %5.1f/%.0f s  %s",
            "#".repeat(filled),
            ".".repeat(WIDTH - filled),
            Math.min(elapsed, totalSeconds),
            totalSeconds,
            status.get()));
    err.flush();
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    draw();
    err.println();
  }
}
