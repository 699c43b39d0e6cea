package dev.parley.codec.tensor;

import java.util.Arrays;

/**
 * Slow, obviously-correct 16-bit float conversions for tests, written from the IEEE 754 and
 * bfloat16 definitions with double arithmetic (value tables, nearest neighbour, ties to even),
 * independently of {@link HalfFloats}' bit manipulation.
 */
public final class ReferenceHalfFloats {
  private ReferenceHalfFloats() {}

  /**
   * Magnitudes of the f16 patterns 0x0000..0x7C00; 0x7C00 (infinity) stands for 2^16, the value
   * past 65504.
   */
  private static final double[] F16_MAGNITUDES = new double[0x7C01];

  static {
    for (int h = 0; h <= 0x7C00; h++) {
      F16_MAGNITUDES[h] = h == 0x7C00 ? 65536.0 : Math.abs(f16Value(h));
    }
  }

  /**
   * The value of an IEEE binary16 pattern: (-1)^s · 2^(e-15) · (1 + m/1024), or 2^-14 · m/1024 when
   * e = 0.
   */
  public static double f16Value(int bits) {
    int h = bits & 0xffff;
    double sign = (h & 0x8000) != 0 ? -1 : 1;
    int exp = (h >> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0x1f) {
      return mant == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
    }
    if (exp == 0) {
      return sign * Math.scalb((double) mant, -24);
    }
    return sign * Math.scalb(1024.0 + mant, exp - 25);
  }

  public static boolean isF16NaN(int bits) {
    return ((bits >> 10) & 0x1f) == 0x1f && (bits & 0x3ff) != 0;
  }

  /** Nearest f16 to {@code f}, ties to the even pattern, overflowing to infinity (f not NaN). */
  public static short f16Nearest(float f) {
    int sign = (Float.floatToRawIntBits(f) >>> 16) & 0x8000;
    double a = Math.abs((double) f);
    if (a >= 65536.0) {
      return (short) (sign | 0x7c00);
    }
    int i = Arrays.binarySearch(F16_MAGNITUDES, a);
    int h;
    if (i >= 0) {
      h = i;
    } else {
      int lo = -i - 2; // largest pattern below a
      int hi = lo + 1;
      double dLo = a - F16_MAGNITUDES[lo];
      double dHi = F16_MAGNITUDES[hi] - a;
      h = dLo < dHi ? lo : dHi < dLo ? hi : ((lo & 1) == 0 ? lo : hi);
    }
    return (short) (sign | h);
  }

  /**
   * Nearest bf16 to {@code f} (bf16 = float32 with the low 16 bits zero), ties to even, f not NaN.
   */
  public static short bf16Nearest(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = bits & 0x80000000;
    int mag = bits & 0x7fffffff;
    if (mag >= 0x7f800000) {
      return (short) ((sign | 0x7f800000) >>> 16);
    }
    int lo = mag & 0xffff0000;
    int hi = lo + 0x10000;
    double a = Float.intBitsToFloat(mag);
    double vLo = Float.intBitsToFloat(lo);
    double vHi = hi == 0x7f800000 ? Math.scalb(1.0, 128) : Float.intBitsToFloat(hi);
    double dLo = a - vLo;
    double dHi = vHi - a;
    int r = dLo < dHi ? lo : dHi < dLo ? hi : (((lo >>> 16) & 1) == 0 ? lo : hi);
    return (short) ((sign | r) >>> 16);
  }

  /** The float a bf16 pattern stands for: the pattern as the top half of a float32. */
  public static float bf16Value(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }
}
