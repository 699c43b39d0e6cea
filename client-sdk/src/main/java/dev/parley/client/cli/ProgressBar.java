package dev.parley.client.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.Supplier;

/** A one-line progress bar redrawn on stderr twice a second while a run lasts. */
final class ProgressBar implements AutoCloseable {
  private static final int WIDTH = 30;

  private final PrintWriter err;
  private final double totalSeconds;
  private final Supplier<String> status;
  private final long start = System.nanoTime();
  private final Thread thread;
  private volatile boolean running = true;

  ProgressBar(PrintWriter err, double totalSeconds, Supplier<String> status) {
    this.err = err;
    this.totalSeconds = totalSeconds;
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
    int filled = (int) Math.min(WIDTH, Math.round(WIDTH * elapsed / totalSeconds));
    err.print(String.format(Locale.ROOT, "\r[%s%s] %5.1f/%.0f s  %s", "#".repeat(filled), ".".repeat(WIDTH - filled),
        Math.min(elapsed, totalSeconds), totalSeconds, status.get()));
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
