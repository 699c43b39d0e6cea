package dev.parley.client.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * The live side of {@code parley transcribe} on stderr: words as they arrive, wrapped into lines, a
 * line break at each end of turn, and (on a terminal) a progress bar on the last line redrawn in
 * place, with the words of the unfinished line after it. Without the bar each word is printed as it
 * comes. Thread-safe.
 */
final class LiveView implements AutoCloseable {
  private static final int LINE = 78;

  /** Columns the progress line may use. */
  private static final int WIDTH = 79;

  private static final int BAR = 16;
  private static final long REDRAW_NANOS = 100_000_000L;

  private final PrintWriter err;
  private final boolean words;
  private final boolean bar;
  private final StringBuilder line = new StringBuilder();
  private String status = "";
  private int drawn; // characters of the bar line now on screen
  private String shown = "";
  private long lastDraw;

  /**
   * @param words show words
   * @param bar draw the redrawn progress line (only sensible on a terminal)
   */
  LiveView(PrintWriter err, boolean words, boolean bar) {
    this.err = err;
    this.words = words;
    this.bar = bar;
  }

  synchronized void word(String text) {
    if (!words) {
      return;
    }
    if (line.length() > 0 && line.length() + 1 + text.length() > LINE) {
      commit("");
    }
    String piece = line.length() > 0 ? " " + text : text;
    line.append(piece);
    if (bar) {
      redraw(true);
    } else {
      err.print(piece);
      err.flush();
    }
  }

  synchronized void endOfTurn() {
    if (words && line.length() > 0) {
      commit(" [end of turn]");
    }
  }

  /**
   * Updates the progress line.
   *
   * @param sent fraction of the input sent, or NaN when the length is unknown
   * @param done fraction transcribed, or NaN when unknown
   * @param detail e.g. "12.0/30.0 s"
   */
  synchronized void progress(double sent, double done, String detail) {
    if (!bar) {
      return;
    }
    StringBuilder s = new StringBuilder();
    if (!Double.isNaN(sent)) {
      int filledDone = (int) Math.round(BAR * clamp(done));
      int filledSent = Math.max(filledDone, (int) Math.round(BAR * clamp(sent)));
      s.append('[')
          .append("#".repeat(filledDone))
          .append("=".repeat(filledSent - filledDone))
          .append(".".repeat(BAR - filledSent))
          .append("] ");
      s.append(
          String.format(
              Locale.ROOT, "%3.0f%% sent %3.0f%% done", 100 * clamp(sent), 100 * clamp(done)));
    }
    if (!detail.isEmpty()) {
      s.append(s.length() > 0 ? "  " : "").append(detail);
    }
    status = s.toString();
    redraw(false);
  }

  private static double clamp(double x) {
    return Double.isNaN(x) ? 0 : Math.max(0, Math.min(1, x));
  }

  /** Prints the current line for good, followed by {@code suffix}. */
  private void commit(String suffix) {
    if (bar) {
      clearBar();
      err.print(line);
    }
    err.println(suffix);
    line.setLength(0);
    redraw(true);
  }

  private void clearBar() {
    if (bar && drawn > 0) {
      err.print("\r" + " ".repeat(drawn) + "\r");
      drawn = 0;
      shown = "";
    }
  }

  private void redraw(boolean force) {
    if (!bar) {
      return;
    }
    long now = System.nanoTime();
    if (!force && now - lastDraw < REDRAW_NANOS) {
      return;
    }
    lastDraw = now;
    // Stay within 79 columns: a wrapped line could not be redrawn in place.
    int room = WIDTH - status.length() - 3;
    String words =
        line.length() == 0 || room < 10 ? "" : (status.isEmpty() ? "" : " | ") + tail(line, room);
    String text = status + words;
    if (text.length() > WIDTH) {
      text = text.substring(0, WIDTH);
    }
    if (text.equals(shown)) {
      return;
    }
    err.print("\r" + text + (drawn > text.length() ? " ".repeat(drawn - text.length()) : ""));
    err.flush();
    drawn = text.length();
    shown = text;
  }

  private static String tail(CharSequence s, int max) {
    return s.length() <= max ? s.toString() : "…" + s.subSequence(s.length() - max + 1, s.length());
  }

  /** Ends the live view: the last words stay, the progress line goes. */
  @Override
  public synchronized void close() {
    clearBar();
    if (words && line.length() > 0) {
      err.println(bar ? line : "");
      line.setLength(0);
    }
    err.flush();
  }
}
