package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
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
   * Writes k, v [n, H, T, Dh] at ring slots {@code (start[b] + i) mod capacity} of each executing
   * slot b &lt; n (a call with n rows steps slots 0..n−1).
   */
  void write(NDArray k, NDArray v, long[] start, ExecMask mask) {
    int t = Math.toIntExact(k.getShape().get(2));
    boolean uniform = mask.allActive();
    for (int b = 1; uniform && b < start.length; b++) {
      uniform = start[b] % capacity == start[0] % capacity;
    }
    if (uniform) {
      String rows = start.length == keys.getShape().get(0) ? ":" : ":" + start.length;
      writeRange(k, v, rows, ":", (int) (start[0] % capacity), t);
      return;
    }
    for (int b = 0; b < start.length; b++) {
      if (mask.isActive(b)) {
        writeRange(k, v, Integer.toString(b), Integer.toString(b), (int) (start[b] % capacity), t);
      }
    }
  }

  /**
   * Keys and values of slots 0..n−1 over ring slots 0..length−1, as views kept in {@code scope}
   * (the whole cache itself when that is all of it).
   */
  NDArray[] read(long n, int length, NDManager scope) {
    if (n == keys.getShape().get(0) && length >= capacity) {
      return new NDArray[] {keys, values};
    }
    NDIndex index = new NDIndex(":{}, :, :{}", n, Math.min(length, capacity));
    NDArray k = keys.get(index);
    NDArray v = values.get(index);
    k.attach(scope);
    v.attach(scope);
    return new NDArray[] {k, v};
  }

  /** Slot {@code to} takes over slot {@code from}'s keys and values. */
  void move(int from, int to) {
    SlotRows.copy(keys, from, to);
    SlotRows.copy(values, from, to);
  }

  /**
   * Copies of slot {@code slot}'s keys and values over ring slots 0..length−1 ([1, H, length, Dh]
   * each), attached to {@code into}.
   */
  // The scope is opened for what closing it does: it frees the views made inside.
  @SuppressWarnings("try")
  NDArray[] copyRows(int slot, int length, NDManager into) {
    try (NDScope ignored = new NDScope()) {
      NDIndex index = new NDIndex("{}:{}, :, :{}", slot, slot + 1, length);
      NDArray k = keys.get(index).duplicate();
      NDArray v = values.get(index).duplicate();
      NDScope.unregister(k, v);
      k.attach(into);
      v.attach(into);
      return new NDArray[] {k, v};
    }
  }

  /** Writes {@link #copyRows} copies over slot {@code slot}'s first ring slots. */
  void setRows(int slot, NDArray k, NDArray v) {
    long length = k.getShape().get(2);
    keys.set(new NDIndex("{}:{}, :, :{}", slot, slot + 1, length), k);
    values.set(new NDIndex("{}:{}, :, :{}", slot, slot + 1, length), v);
  }

  private void writeRange(NDArray k, NDArray v, String dst, String src, int slot, int t) {
    int first = Math.min(t, capacity - slot);
    if (first == t && src.equals(":")) {
      // The common case (all slots in step, no wrap): one copy per tensor, no slicing of the input.
      keys.set(new NDIndex(dst + ", :, {}:{}", slot, slot + t), k);
      values.set(new NDIndex(dst + ", :, {}:{}", slot, slot + t), v);
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
