package dev.parley.codec.testing;

import static org.assertj.core.api.Assertions.assertThat;

/** Element-wise comparisons of float arrays with the error reported. */
public final class Diff {
  private Diff() {}

  public static double maxAbs(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      double d = Math.abs((double) a[i] - b[i]);
      if (Double.isNaN(d)) {
        return Double.POSITIVE_INFINITY;
      }
      m = Math.max(m, d);
    }
    return m;
  }

  public static double peak(float[] a) {
    double m = 0;
    for (float v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  /** max|actual − expected| ≤ tolerance; returns the error. */
  public static double assertClose(
      String what, float[] actual, float[] expected, double tolerance) {
    double err = maxAbs(actual, expected);
    assertThat(err)
        .as("%s: max abs error (peak %s)", what, peak(expected))
        .isLessThanOrEqualTo(tolerance);
    return err;
  }
}
