package dev.parley.codec.nn;

import java.util.List;

/**
 * A checkpoint does not fit the model: every missing, unexpected and mis-shaped key, in one
 * message.
 */
public final class WeightMismatchException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  public WeightMismatchException(String source, List<String> problems) {
    super(
        source
            + " does not match the model ("
            + problems.size()
            + " problems):\n  "
            + String.join("\n  ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
