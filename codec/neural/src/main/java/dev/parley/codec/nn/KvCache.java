package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * One attention layer's ring buffer of keys and values, {@code [B, H, capacity, Dh]} each, written
 * in place. Which slot holds which position is decided by {@link AttentionStep} from the
 * transformer's per-slot offsets; this class only stores.
 */
public final class KvCache {
  final NDArray keys;
  final NDArray values;
  final int capacity;

  KvCache(NDManager manager, int batch, int heads, int capacity, int headDim, DataType type) {
    this.keys = manager.zeros(new Shape(batch, heads, capacity, headDim), type);
    this.values = manager.zeros(new Shape(batch, heads, capacity, headDim), type);
    this.capacity = capacity;
  }

  /**
   * Writes k, v [B, H, T, Dh] at ring slots {@code (start[b] + i) mod capacity} of each executing
   * slot.
   */
  void write(NDArray k, NDArray v, long[] start, ExecMask mask) {
    int t = Math.toIntExact(k.getShape().get(2));
    boolean uniform = mask.allActive();
    for (int b = 1; uniform && b < start.length; b++) {
      uniform = start[b] % capacity == start[0] % capacity;
    }
    if (uniform) {
      writeRange(k, v, ":", ":", (int) (start[0] % capacity), t);
      return;
    }
    for (int b = 0; b < start.length; b++) {
      if (mask.isActive(b)) {
        writeRange(k, v, Integer.toString(b), Integer.toString(b), (int) (start[b] % capacity), t);
      }
    }
  }

  private void writeRange(NDArray k, NDArray v, String dst, String src, int slot, int t) {
    int first = Math.min(t, capacity - slot);
    if (first == t && dst.equals(":")) {
      // The common case (all slots in step, no wrap): one copy per tensor, no slicing of the input.
      keys.set(new NDIndex(":, :, {}:{}", slot, slot + t), k);
      values.set(new NDIndex(":, :, {}:{}", slot, slot + t), v);
      return;
    }
    keys.set(
        new NDIndex(dst + ", :, {}:{}", slot, slot + first),
        k.get(new NDIndex(src + ", :, :{}", first)));
    values.set(
        new NDIndex(dst + ", :, {}:{}", slot, slot + first),
        v.get(new NDIndex(src + ", :, :{}", first)));
    if (first < t) {
      keys.set(
          new NDIndex(dst + ", :, :{}", t - first), k.get(new NDIndex(src + ", :, {}:", first)));
      values.set(
          new NDIndex(dst + ", :, :{}", t - first), v.get(new NDIndex(src + ", :, {}:", first)));
    }
  }
}
