package dev.parley.codec.audio;

/**
 * An ideal low-pass (a sinc) under a Kaiser window: the FIR that {@link IntegerDecimator} and the
 * streaming resampler both build their taps from. The Kaiser window trades main-lobe width for
 * stop-band depth through one number, beta (8.6 gives about −90 dB, 9 a little more).
 *
 * @param cutoff the cut-off in cycles per sample (below 0.5)
 * @param half the window's half-width in samples: taps farther than this from the centre are 0
 * @param beta the Kaiser window's shape
 */
public record KaiserSinc(double cutoff, double half, double beta) {

  /**
   * {@code count} taps at {@code first}, {@code first + 1}, ... samples from the centre, scaled to
   * unit gain at DC.
   */
  public float[] unitGainTaps(double first, int count) {
    double i0Beta = besselI0(beta);
    double[] t = new double[count];
    double sum = 0;
    for (int i = 0; i < count; i++) {
      t[i] = at(first + i, i0Beta);
      sum += t[i];
    }
    float[] taps = new float[count];
    for (int i = 0; i < count; i++) {
      taps[i] = (float) (t[i] / sum);
    }
    return taps;
  }

  private double at(double x, double i0Beta) {
    if (Math.abs(x) > half) {
      return 0;
    }
    double sinc = x == 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    double r = x / half;
    return sinc * besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
  }

  /** The modified Bessel function of the first kind, order 0, by its power series. */
  private static double besselI0(double x) {
    double sum = 1;
    double term = 1;
    for (int k = 1; k < 50; k++) {
      term *= (x / (2 * k)) * (x / (2 * k));
      sum += term;
      if (term < 1e-12 * sum) {
        break;
      }
    }
    return sum;
  }
}
