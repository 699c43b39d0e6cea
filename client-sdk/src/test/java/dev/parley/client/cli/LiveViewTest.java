package dev.parley.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The live view on stderr, with and without the redrawn progress line. */
class LiveViewTest {
  @Test
  void withoutABarWordsArePrintedAsTheyComeAndTurnsBreakTheLine() {
    StringWriter s = new StringWriter();
    try (LiveView v = new LiveView(new PrintWriter(s), true, false)) {
      v.word("Hello");
      v.progress(0.5, 0.25, "ignored");
      assertThat(s.toString()).isEqualTo("Hello");
      v.word("world.");
      v.endOfTurn();
      v.endOfTurn(); // nothing since the last: no empty line
      v.word("Bye.");
    }
    assertThat(s.toString())
        .isEqualTo("Hello world. [end of turn]\nBye.\n".replace("\n", System.lineSeparator()));
  }

  @Test
  void longTextWrapsAt78Characters() {
    StringWriter s = new StringWriter();
    try (LiveView v = new LiveView(new PrintWriter(s), true, false)) {
      for (int i = 0; i < 20; i++) {
        v.word("word" + i); // 5 or 6 characters each
      }
    }
    String[] lines = s.toString().split(System.lineSeparator());
    assertThat(lines).hasSize(2);
    assertThat(lines[0]).startsWith("word0 word1").hasSizeLessThanOrEqualTo(78);
    assertThat(lines[0] + " " + lines[1])
        .isEqualTo(
            String.join(
                " ", java.util.stream.IntStream.range(0, 20).mapToObj(i -> "word" + i).toList()));
  }

  @Test
  void theBarIsRedrawnInPlaceAndClearedWhileFinishedLinesStay() {
    StringWriter s = new StringWriter();
    try (LiveView v = new LiveView(new PrintWriter(s), true, true)) {
      v.progress(0.5, 0.25, "1.0/4.0 s");
      assertThat(s.toString()).isEqualTo("\r[####====........]  50% sent  25% done  1.0/4.0 s");
      v.word("Hello");
      assertThat(s.toString()).endsWith("done  1.0/4.0 s | Hello");
      v.progress(0.5, 0.25, "1.0/4.0 s");
      assertThat(s.toString()).endsWith("| Hello"); // unchanged: not drawn again
      for (int i = 0; i < 30; i++) {
        v.word("w" + i);
      }
      String last = s.toString().substring(s.toString().lastIndexOf('\r') + 1);
      assertThat(last)
          .hasSizeLessThanOrEqualTo(79)
          .endsWith("w28 w29"); // the tail of the line, on one row
      v.endOfTurn();
    }
    // What a terminal shows at the end: the finished lines (wrapped at 78); the bar was overwritten
    // with spaces.
    String screen = render(s.toString());
    assertThat(screen.strip())
        .isEqualTo(
            "Hello w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19\n"
                + "w20 w21 w22 w23 w24 w25 w26 w27 w28 w29 [end of turn]");
  }

  @Test
  void quietShowsNothing() {
    StringWriter s = new StringWriter();
    try (LiveView v = new LiveView(new PrintWriter(s), false, false)) {
      v.word("Hello");
      v.endOfTurn();
      v.progress(1, 1, "x");
    }
    assertThat(s.toString()).isEmpty();
  }

  /** Applies carriage returns the way a terminal does, line by line. */
  static String render(String raw) {
    StringBuilder out = new StringBuilder();
    for (String line : raw.split(System.lineSeparator(), -1)) {
      char[] buf = new char[200];
      java.util.Arrays.fill(buf, ' ');
      int col = 0;
      int max = 0;
      for (char c : line.toCharArray()) {
        if (c == '\r') {
          col = 0;
        } else {
          buf[col++] = c;
          max = Math.max(max, col);
        }
      }
      out.append(new String(buf, 0, max).stripTrailing()).append('\n');
    }
    return out.toString();
  }
}
