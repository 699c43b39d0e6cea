package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Interleaved rotary position embedding ({@code apply_rope}, interleave=True). The rotation of pair
 * {@code (x[2i], x[2i+1])} by angle {@code position · max_period^(-2i/D)} is applied as {@code
 * x·cos' + swap(x)·sin'} with {@code cos' = (c0,c0,c1,c1,..)}, {@code sin' = (-s0,s0,-s1,s1,..)} —
 * the same products and sums as the reference, in fewer tensor operations.
 */
public final class RotaryEmbedding {
  private final int headDim;
  private final float[] freqs;

  public RotaryEmbedding(int headDim, double maxPeriod) {
    this.headDim = headDim;
    this.freqs = new float[headDim / 2];
    // Same float32 formula as the reference: exp(i · (-ln(max_period)·2/D)).
    float scale = (float) (-Math.log(maxPeriod) * 2 / headDim);
    for (int i = 0; i < freqs.length; i++) {
      freqs[i] = (float) Math.exp((float) i * scale);
    }
  }

  /** Tables for positions [B][T], shaped to broadcast over [B, T, 2, H, D] (q and k together). */
  public NDArray[] tables(NDManager m, long[][] positions) {
    int b = positions.length;
    int t = positions[0].length;
    float[] cos = new float[b * t * headDim];
    float[] sin = new float[b * t * headDim];
    int o = 0;
    for (long[] row : positions) {
      for (long p : row) {
        float pf = (float) p;
        for (int i = 0; i < freqs.length; i++) {
          float angle = freqs[i] * pf;
          float c = (float) Math.cos(angle);
          float s = (float) Math.sin(angle);
          cos[o] = c;
          cos[o + 1] = c;
          sin[o] = -s;
          sin[o + 1] = s;
          o += 2;
        }
      }
    }
    Shape shape = new Shape(b, t, 1, 1, headDim);
    return new NDArray[] {m.create(cos, shape), m.create(sin, shape)};
  }

  /** Rotates x [B, T, ..., D] (any middle axes) with tables from {@link #tables}. */
  public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
    ai.djl.ndarray.types.DataType in = x.getDataType();
    if (in != ai.djl.ndarray.types.DataType.FLOAT32) {
      // The reference rotates in float32 and casts back.
      return apply(x.toType(ai.djl.ndarray.types.DataType.FLOAT32, false), cos, sin)
          .toType(in, false);
    }
    Shape s = x.getShape();
    long[] pairs = java.util.Arrays.copyOf(s.getShape(), s.dimension() + 1);
    pairs[s.dimension() - 1] = s.get(s.dimension() - 1) / 2;
    pairs[s.dimension()] = 2;
    NDArray swapped = x.reshape(pairs).flip(s.dimension()).reshape(s);
    return x.mul(cos).add(swapped.mul(sin));
  }
}
