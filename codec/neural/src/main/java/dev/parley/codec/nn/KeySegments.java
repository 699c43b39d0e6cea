package dev.parley.codec.nn;

import java.util.Arrays;

/**
 * How one streaming call splits its rows for attention: contiguous runs of rows, each attending
 * over the ring slots its longest row has written, so a session that has just started does not read
 * keys as far as the oldest session beside it. Each extra run costs a few more libtorch calls per
 * layer; the split minimises (rows × keys read) over the runs plus {@code segmentCost} row-keys per
 * run, by dynamic programming over the row boundaries.
 */
final class KeySegments {
  /** One run's fixed cost on a CPU, in bytes of keys + values it could have read instead. */
  static final long CPU_SEGMENT_BYTES = 256L * 1024;

  /** The same on an accelerator, where a call costs far more than reading a key. */
  static final long ACCELERATOR_SEGMENT_BYTES = 64L * 1024 * 1024;

  /**
   * One run's cost in row-keys for a call on x's device: a row-key is one ring slot's key and value
   * of {@code dModel} values each.
   */
  static long segmentCost(ai.djl.ndarray.NDArray x, int dModel) {
    long bytesPerKey = 2L * dModel * x.getDataType().getNumOfBytes();
    boolean cpu = ai.djl.Device.Type.CPU.equals(x.getDevice().getDeviceType());
    return (cpu ? CPU_SEGMENT_BYTES : ACCELERATOR_SEGMENT_BYTES) / Math.max(1, bytesPerKey);
  }

  /** A run cost no split can beat: every call attends in one run. */
  static final long ONE_RUN = Long.MAX_VALUE / 4;

  private final int[] starts; // run r is rows starts[r]..starts[r+1]-1
  private final int[] keys; // ring slots run r attends over

  private KeySegments(int[] starts, int[] keys) {
    this.starts = starts;
    this.keys = keys;
  }

  /** All rows in one run over {@code keys} ring slots. */
  static KeySegments single(int rows, int keys) {
    return new KeySegments(new int[] {0, rows}, new int[] {keys});
  }

  /**
   * The cheapest split of rows with {@code rowKeys[r]} keys each (0 = the row's output is not used:
   * it may join any run); every run reads at least one key.
   */
  static KeySegments plan(int[] rowKeys, long segmentCost) {
    int n = rowKeys.length;
    int widestRow = 1;
    for (int k : rowKeys) {
      widestRow = Math.max(widestRow, k);
    }
    if (segmentCost >= (long) n * widestRow) {
      return single(n, widestRow); // no split can save a run's cost (nor overflow the sums below)
    }
    long[] best = new long[n + 1]; // best[j]: cheapest split of rows 0..j-1
    int[] from = new int[n + 1];
    Arrays.fill(best, Long.MAX_VALUE);
    best[0] = 0;
    for (int j = 1; j <= n; j++) {
      int widest = 1;
      for (int i = j - 1; i >= 0; i--) {
        widest = Math.max(widest, rowKeys[i]);
        long cost = best[i] + (long) (j - i) * widest + segmentCost;
        if (cost < best[j]) {
          best[j] = cost;
          from[j] = i;
        }
      }
    }
    int count = 0;
    for (int j = n; j > 0; j = from[j]) {
      count++;
    }
    int[] starts = new int[count + 1];
    int[] keys = new int[count];
    int r = count;
    for (int j = n; j > 0; j = from[j]) {
      starts[r] = j;
      r--;
      int widest = 1;
      for (int i = from[j]; i < j; i++) {
        widest = Math.max(widest, rowKeys[i]);
      }
      keys[r] = widest;
    }
    starts[0] = 0;
    return new KeySegments(starts, keys);
  }

  /** Row-keys a split of {@code segmentCost} per run would cost: what {@link #plan} minimises. */
  long cost(long segmentCost) {
    long total = 0;
    for (int r = 0; r < count(); r++) {
      total += (long) (end(r) - start(r)) * keys[r] + segmentCost;
    }
    return total;
  }

  int count() {
    return keys.length;
  }

  int start(int run) {
    return starts[run];
  }

  int end(int run) {
    return starts[run + 1];
  }

  int keys(int run) {
    return keys[run];
  }
}
