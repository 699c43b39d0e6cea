package dev.parley.codec.mimi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.parley.codec.nn.ExecMask;

/**
 * Whole-signal encode/decode of one stream, either in one whole-sequence call or frame by frame
 * exactly as a live session feeds the streaming path (they differ once the KV rings wrap).
 */
public final class MimiOffline {
  private MimiOffline() {}

  /**
   * 24 kHz mono PCM → codes[K][F] (F = ceil(T / 1920); the streaming path zero-pads the last
   * frame).
   */
  // The scope is opened for what closing it does: it frees every array made inside.
  @SuppressWarnings("try")
  public static long[][] encode(MimiModel mimi, float[] pcm, boolean streaming, NDManager parent) {
    int n = mimi.frameSize();
    int frames = Math.max(1, (pcm.length + n - 1) / n);
    int k = mimi.numCodebooks();
    long[][] codes = new long[k][frames];
    if (!streaming) {
      try (NDScope ignored = new NDScope();
          NDManager scope = parent.newSubManager()) {
        long[] c =
            mimi.encode(scope.create(pcm, new Shape(1, 1, pcm.length)))
                .toType(DataType.INT64, false)
                .toLongArray();
        for (int i = 0; i < k; i++) {
          System.arraycopy(c, i * frames, codes[i], 0, frames);
        }
      }
      return codes;
    }
    try (MimiStreams s = mimi.newStreams(parent, 1)) {
      ExecMask all = ExecMask.all(1);
      for (int f = 0; f < frames; f++) {
        float[] frame = new float[n];
        System.arraycopy(pcm, f * n, frame, 0, Math.min(n, pcm.length - f * n));
        long[] c = mimi.encodeFrame(new float[][] {frame}, s, all)[0];
        for (int i = 0; i < k; i++) {
          codes[i][f] = c[i];
        }
      }
    }
    return codes;
  }

  /** codes[K][F] → 1920·F samples of 24 kHz PCM. */
  // The scope is opened for what closing it does: it frees every array made inside.
  @SuppressWarnings("try")
  public static float[] decode(
      MimiModel mimi, long[][] codes, boolean streaming, NDManager parent) {
    int k = codes.length;
    int frames = codes[0].length;
    int n = mimi.frameSize();
    if (k != mimi.numCodebooks()) {
      throw new IllegalArgumentException(
          "the codes have " + k + " codebooks, the model uses " + mimi.numCodebooks());
    }
    int bins = mimi.config().quantizer().bins();
    for (int i = 0; i < k; i++) {
      if (codes[i].length != frames) {
        throw new IllegalArgumentException(
            "codebook " + i + " has " + codes[i].length + " frames, expected " + frames);
      }
      for (long c : codes[i]) {
        if (c < 0 || c >= bins) {
          throw new IllegalArgumentException(
              "code " + c + " in codebook " + i + " is outside 0.." + (bins - 1));
        }
      }
    }
    if (!streaming) {
      long[] flat = new long[k * frames];
      for (int i = 0; i < k; i++) {
        System.arraycopy(codes[i], 0, flat, i * frames, frames);
      }
      try (NDScope ignored = new NDScope();
          NDManager scope = parent.newSubManager()) {
        NDArray pcm = mimi.decode(scope.create(flat, new Shape(1, k, frames)));
        return pcm.toType(DataType.FLOAT32, false).toFloatArray();
      }
    }
    float[] out = new float[frames * n];
    try (MimiStreams s = mimi.newStreams(parent, 1)) {
      ExecMask all = ExecMask.all(1);
      for (int f = 0; f < frames; f++) {
        long[] c = new long[k];
        for (int i = 0; i < k; i++) {
          c[i] = codes[i][f];
        }
        System.arraycopy(mimi.decodeFrame(new long[][] {c}, s, all)[0], 0, out, f * n, n);
      }
    }
    return out;
  }
}
