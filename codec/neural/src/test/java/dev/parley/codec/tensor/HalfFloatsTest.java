package dev.parley.codec.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link HalfFloats} against the IEEE/bfloat16 definitions ({@link ReferenceHalfFloats}) and
 * hand-worked values.
 */
class HalfFloatsTest {

  private static String hex(int bits) {
    return String.format("0x%04x", bits & 0xffff);
  }

  @Test
  void f16ToFloatMatchesTheIeeeDefinitionForAll65536Patterns() {
    for (int h = 0; h < 0x10000; h++) {
      float actual = HalfFloats.f16ToFloat((short) h);
      if (ReferenceHalfFloats.isF16NaN(h)) {
        assertThat(actual).as(hex(h)).isNaN();
      } else {
        // every f16 value is a float32 value, so the widening must be exact (sign of zero included)
        assertThat(Float.floatToRawIntBits(actual))
            .as(hex(h))
            .isEqualTo(Float.floatToRawIntBits((float) ReferenceHalfFloats.f16Value(h)));
      }
    }
  }

  @Test
  void f16WideningThenNarrowingIsTheIdentityForEveryNonNaNPattern() {
    int checked = 0;
    for (int h = 0; h < 0x10000; h++) {
      if (ReferenceHalfFloats.isF16NaN(h)) {
        continue;
      }
      short back = HalfFloats.floatToF16(HalfFloats.f16ToFloat((short) h));
      assertThat(back & 0xffff).as(hex(h)).isEqualTo(h);
      checked++;
    }
    assertThat(checked).isEqualTo(65536 - 2 * 1023);
  }

  @Test
  void f16NaNStaysNaNBothWays() {
    for (int h = 0; h < 0x10000; h++) {
      if (ReferenceHalfFloats.isF16NaN(h)) {
        float f = HalfFloats.f16ToFloat((short) h);
        assertThat(f).as(hex(h)).isNaN();
        assertThat(ReferenceHalfFloats.isF16NaN(HalfFloats.floatToF16(f))).as(hex(h)).isTrue();
      }
    }
    assertThat(ReferenceHalfFloats.isF16NaN(HalfFloats.floatToF16(Float.NaN))).isTrue();
    assertThat(
            ReferenceHalfFloats.isF16NaN(HalfFloats.floatToF16(Float.intBitsToFloat(0xff800001))))
        .isTrue();
  }

  @Test
  void floatToF16HandWorkedValues() {
    // patterns worked out by hand from sign | (exp+15)<<10 | mantissa
    assertThat(HalfFloats.floatToF16(1.5f)).isEqualTo((short) 0x3e00);
    assertThat(HalfFloats.floatToF16(-2.0f)).isEqualTo((short) 0xc000);
    assertThat(HalfFloats.floatToF16(65504f)).isEqualTo((short) 0x7bff); // largest finite
    assertThat(HalfFloats.floatToF16(65519.99f))
        .isEqualTo((short) 0x7bff); // below the overflow midpoint
    assertThat(HalfFloats.floatToF16(65520f))
        .isEqualTo((short) 0x7c00); // midpoint to 2^16: even = infinity
    assertThat(HalfFloats.floatToF16(1e6f)).isEqualTo((short) 0x7c00);
    assertThat(HalfFloats.floatToF16(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xfc00);
    assertThat(HalfFloats.floatToF16(0x1p-24f)).isEqualTo((short) 0x0001); // smallest subnormal
    assertThat(HalfFloats.floatToF16(0x1p-25f))
        .isEqualTo((short) 0x0000); // half of it: tie to even (zero)
    assertThat(HalfFloats.floatToF16(Math.nextUp(0x1p-25f))).isEqualTo((short) 0x0001);
    assertThat(HalfFloats.floatToF16(3 * 0x1p-25f))
        .isEqualTo((short) 0x0002); // 1.5 ulp: tie to even (2)
    assertThat(HalfFloats.floatToF16(1023 * 0x1p-24f))
        .isEqualTo((short) 0x03ff); // largest subnormal
    assertThat(HalfFloats.floatToF16(0x1p-14f)).isEqualTo((short) 0x0400); // smallest normal
    assertThat(HalfFloats.floatToF16(-0f)).isEqualTo((short) 0x8000);
    assertThat(HalfFloats.floatToF16(1e-10f)).isEqualTo((short) 0x0000);
    assertThat(HalfFloats.floatToF16(-1e-10f)).isEqualTo((short) 0x8000);
    // 0.1 = 1.6 · 2^-4: mantissa 0.6 · 1024 = 614.4 → 614 = 0x266, exponent 11 → 0x2e66
    assertThat(HalfFloats.floatToF16(0.1f)).isEqualTo((short) 0x2e66);
    // 1 + 2^-11 lies halfway between 1 (0x3c00, even) and 1 + 2^-10 (0x3c01)
    assertThat(HalfFloats.floatToF16(1f + 0x1p-11f)).isEqualTo((short) 0x3c00);
    assertThat(HalfFloats.floatToF16(1f + 3 * 0x1p-11f)).isEqualTo((short) 0x3c02);
  }

  @Test
  void floatToF16RoundsToNearestEvenAroundEveryMidpoint() {
    for (int h = 0; h < 0x7c00; h++) {
      double lo = ReferenceHalfFloats.f16Value(h);
      double hi = h + 1 == 0x7c00 ? 65536.0 : ReferenceHalfFloats.f16Value(h + 1);
      float mid = (float) ((lo + hi) / 2);
      assertThat((double) mid)
          .as("midpoint after " + hex(h) + " is a float")
          .isEqualTo((lo + hi) / 2);
      int even = (h & 1) == 0 ? h : h + 1;
      for (int sign : new int[] {0, 0x8000}) {
        float s = sign == 0 ? 1f : -1f;
        assertThat(HalfFloats.floatToF16(s * mid) & 0xffff)
            .as("tie after " + hex(h))
            .isEqualTo(sign | even);
        assertThat(HalfFloats.floatToF16(s * Math.nextDown(mid)) & 0xffff)
            .as("below mid " + hex(h))
            .isEqualTo(sign | h);
        assertThat(HalfFloats.floatToF16(s * Math.nextUp(mid)) & 0xffff)
            .as("above mid " + hex(h))
            .isEqualTo(sign | (h + 1));
      }
    }
  }

  @Test
  void floatToF16MatchesTheNearestEvenReferenceOnRandomFloats() {
    SplittableRandom r = new SplittableRandom(20240917);
    for (int i = 0; i < 2_000_000; i++) {
      float f;
      if ((i & 1) == 0) {
        f = Float.intBitsToFloat(r.nextInt()); // any pattern
      } else {
        f =
            (float)
                (Math.exp(r.nextDouble(Math.log(0x1p-27), Math.log(0x1p17)))
                    * (r.nextBoolean() ? 1 : -1));
      }
      if (Float.isNaN(f)) {
        continue;
      }
      assertThat(HalfFloats.floatToF16(f))
          .as("%s (0x%08x)", f, Float.floatToRawIntBits(f))
          .isEqualTo(ReferenceHalfFloats.f16Nearest(f));
    }
  }

  @Test
  void bf16ToFloatHandWorkedValues() {
    assertThat(HalfFloats.bf16ToFloat((short) 0x3f80)).isEqualTo(1.0f);
    assertThat(HalfFloats.bf16ToFloat((short) 0xc020)).isEqualTo(-2.5f);
    assertThat(HalfFloats.bf16ToFloat((short) 0x4049)).isEqualTo(3.140625f); // 2 · (1 + 73/128)
    assertThat(HalfFloats.bf16ToFloat((short) 0x7f7f)).isEqualTo(0x1.fep127f); // largest finite
    assertThat(HalfFloats.bf16ToFloat((short) 0x0001)).isEqualTo(0x1p-133f); // smallest subnormal
    assertThat(HalfFloats.bf16ToFloat((short) 0x8000)).isEqualTo(-0f);
    assertThat(Float.floatToRawIntBits(HalfFloats.bf16ToFloat((short) 0x8000)))
        .isEqualTo(0x80000000);
    assertThat(HalfFloats.bf16ToFloat((short) 0x7f80)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(HalfFloats.bf16ToFloat((short) 0xff80)).isEqualTo(Float.NEGATIVE_INFINITY);
    assertThat(HalfFloats.bf16ToFloat((short) 0x7fc0)).isNaN();
  }

  @Test
  void bf16WideningThenNarrowingIsTheIdentityForEveryNonNaNPattern() {
    for (int h = 0; h < 0x10000; h++) {
      boolean nan = ((h >> 7) & 0xff) == 0xff && (h & 0x7f) != 0;
      float f = HalfFloats.bf16ToFloat((short) h);
      if (nan) {
        assertThat(f).as(hex(h)).isNaN();
        assertThat(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(f))).as(hex(h)).isNaN();
      } else {
        assertThat(HalfFloats.floatToBf16(f) & 0xffff).as(hex(h)).isEqualTo(h);
      }
    }
  }

  @Test
  void floatToBf16RoundsToNearestEven() {
    // 1 + 2^-8 is halfway between 1 (0x3f80, even) and 1 + 2^-7 (0x3f81)
    assertThat(HalfFloats.floatToBf16(1f + 0x1p-8f)).isEqualTo((short) 0x3f80);
    assertThat(HalfFloats.floatToBf16(Math.nextUp(1f + 0x1p-8f))).isEqualTo((short) 0x3f81);
    // 1 + 3·2^-8 is halfway between 0x3f81 and 0x3f82 (even)
    assertThat(HalfFloats.floatToBf16(1f + 3 * 0x1p-8f)).isEqualTo((short) 0x3f82);
    assertThat(HalfFloats.floatToBf16(Math.nextDown(1f + 3 * 0x1p-8f))).isEqualTo((short) 0x3f81);
    assertThat(HalfFloats.floatToBf16(-(1f + 3 * 0x1p-8f))).isEqualTo((short) 0xbf82);
    // subnormals: 0x00008000 is halfway between 0 and 0x0001 → 0; 0x00018000 between 1 and 2 → 2
    assertThat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x00008000))).isEqualTo((short) 0x0000);
    assertThat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x00018000))).isEqualTo((short) 0x0002);
    // overflow: above the midpoint between the largest bf16 and 2^128 → infinity, as torch does
    assertThat(HalfFloats.floatToBf16(Float.MAX_VALUE)).isEqualTo((short) 0x7f80);
    assertThat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x7f7f7fff))).isEqualTo((short) 0x7f7f);
    assertThat(HalfFloats.floatToBf16(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xff80);
    assertThat(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.NaN))).isNaN();
    // a signalling-looking NaN whose payload sits in the low bits must not truncate to infinity
    assertThat(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x7f800001))))
        .isNaN();
  }

  @Test
  void floatToBf16MatchesTheNearestEvenReferenceOnRandomFloats() {
    SplittableRandom r = new SplittableRandom(7);
    for (int i = 0; i < 2_000_000; i++) {
      float f = Float.intBitsToFloat(r.nextInt());
      if (Float.isNaN(f)) {
        continue;
      }
      assertThat(HalfFloats.floatToBf16(f))
          .as("%s (0x%08x)", f, Float.floatToRawIntBits(f))
          .isEqualTo(ReferenceHalfFloats.bf16Nearest(f));
    }
  }
}
