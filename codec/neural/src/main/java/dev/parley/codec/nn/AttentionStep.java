package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * What every attention layer of one transformer call shares: the query positions of each slot, the
 * RoPE tables, the additive mask over the keys, and where new keys go in the ring. Built once per
 * call, in the call's scope.
 *
 * <p>Streaming follows the reference's {@code RingKVCache.complete}: all T new keys are written
 * first, then every query attends over the whole ring, whose slot j holds position {@code L + (j -
 * L mod C)} (or that minus C), L being the last position written. Once the ring has wrapped, the
 * first queries of a multi-step call therefore see fewer than C keys — exactly as the reference
 * does.
 */
public final class AttentionStep {
  final int steps;
  final NDArray ropeCos;
  final NDArray ropeSin;
  final NDArray mask; // additive, [B or 1, 1, T, keys]; null = attend to everything
  final long[] writeStart; // null when not streaming
  final ExecMask exec;
  final int weightOffset;
  final int keyLength; // ring slots that can hold a valid key this call; 0 = not streaming
  final KeySegments segments; // runs of rows by keys read; null = all rows over keyLength

  private AttentionStep(
      int steps,
      NDArray[] rope,
      NDArray mask,
      long[] writeStart,
      ExecMask exec,
      int weightOffset,
      int keyLength,
      KeySegments segments) {
    this.keyLength = keyLength;
    this.segments = segments;
    this.steps = steps;
    this.ropeCos = rope == null ? null : rope[0];
    this.ropeSin = rope == null ? null : rope[1];
    this.mask = mask;
    this.writeStart = writeStart;
    this.exec = exec;
    this.weightOffset = weightOffset;
  }

  /**
   * A whole sequence of T steps at positions 0..T-1, causal within {@code context} (0 = unlimited).
   */
  public static AttentionStep wholeSequence(
      NDManager m, int steps, boolean causal, int context, RotaryEmbedding rope) {
    NDArray mask = null;
    if (causal) {
      float[] bias = new float[steps * steps];
      for (int q = 0; q < steps; q++) {
        for (int k = 0; k < steps; k++) {
          int d = q - k;
          boolean ok = d >= 0 && (context <= 0 || d < context);
          bias[q * steps + k] = ok ? 0f : Float.NEGATIVE_INFINITY;
        }
      }
      mask = m.create(bias, new Shape(1, 1, steps, steps));
    }
    NDArray[] tables = null;
    if (rope != null) {
      long[][] pos = new long[1][steps];
      for (int i = 0; i < steps; i++) {
        pos[0][i] = i;
      }
      tables = rope.tables(m, pos);
    }
    return new AttentionStep(steps, tables, mask, null, ExecMask.all(1), 0, 0, null);
  }

  /**
   * A streaming call of T steps for every slot, slot b starting at position {@code offsets[b]},
   * against rings of {@code capacity}; {@code context} limits the span (0 = capacity only).
   */
  public static AttentionStep streaming(
      NDManager m,
      int steps,
      long[] offsets,
      int capacity,
      boolean causal,
      int context,
      RotaryEmbedding rope,
      ExecMask exec,
      int weightOffset) {
    return streaming(
        m,
        steps,
        offsets,
        capacity,
        causal,
        context,
        rope,
        exec,
        weightOffset,
        false,
        KeySegments.ONE_RUN);
  }

  /**
   * As above; with {@code maskOldestKey} the ring slot after the last written one (the oldest key
   * once the ring is full) gets the position one past the last, as the PersonaPlex fork computes
   * it, so a causal query never sees it. Rows attend in runs, each over the ring slots its longest
   * row has written ({@link KeySegments}, {@code segmentCost} row-keys per run), so a young session
   * does not read as far as the oldest one beside it.
   */
  public static AttentionStep streaming(
      NDManager m,
      int steps,
      long[] offsets,
      int capacity,
      boolean causal,
      int context,
      RotaryEmbedding rope,
      ExecMask exec,
      int weightOffset,
      boolean maskOldestKey,
      long segmentCost) {
    if (steps > capacity) {
      throw new IllegalArgumentException(
          steps + " steps in one call exceed the KV cache capacity " + capacity);
    }
    int b = offsets.length;
    // Until a ring wraps, only its first e+T slots were ever written: attend over those alone
    // (the widest active slot decides), so a fresh 3000-step cache is not read in full every step.
    int keys = steps;
    int[] rowKeys = new int[b];
    for (int s = 0; s < b; s++) {
      if (exec.isActive(s)) {
        rowKeys[s] = (int) Math.min(capacity, offsets[s] + steps);
        keys = Math.max(keys, rowKeys[s]);
      }
    }
    KeySegments segments = KeySegments.plan(rowKeys, segmentCost);
    if (segments.count() == 1) {
      segments = null;
    }
    float[] bias = new float[b * steps * keys];
    for (int s = 0; s < b; s++) {
      if (!exec.isActive(s)) {
        continue; // an idle slot's output is discarded; leave it unmasked so it stays finite
      }
      long e = offsets[s];
      long last = e + steps - 1;
      long lastSlot = last % capacity;
      for (int j = 0; j < keys; j++) {
        long delta = j - lastSlot;
        long pos = delta <= 0 ? last + delta : last + delta - capacity;
        if (j >= e + steps) {
          pos = -1;
        } else if (maskOldestKey && j == (last + 1) % capacity) {
          pos = last + 1;
        }
        for (int i = 0; i < steps; i++) {
          long d = e + i - pos;
          boolean ok = pos >= 0 && (!causal || (d >= 0 && (context <= 0 || d < context)));
          bias[(s * steps + i) * keys + j] = ok ? 0f : Float.NEGATIVE_INFINITY;
        }
      }
    }
    NDArray mask = m.create(bias, new Shape(b, 1, steps, keys));
    NDArray[] tables = null;
    if (rope != null) {
      long[][] pos = new long[b][steps];
      for (int s = 0; s < b; s++) {
        for (int i = 0; i < steps; i++) {
          pos[s][i] = offsets[s] + i;
        }
      }
      tables = rope.tables(m, pos);
    }
    return new AttentionStep(
        steps, tables, mask, offsets.clone(), exec, weightOffset, keys, segments);
  }

  /** The same step with its additive mask in {@code type} (the scores' type, e.g. float16). */
  AttentionStep withMaskType(ai.djl.ndarray.types.DataType type) {
    if (mask == null || mask.getDataType() == type) {
      return this;
    }
    return new AttentionStep(
        steps,
        ropeCos == null ? null : new NDArray[] {ropeCos, ropeSin},
        mask.toType(type, false),
        writeStart,
        exec,
        weightOffset,
        keyLength,
        segments);
  }

  public int steps() {
    return steps;
  }
}
