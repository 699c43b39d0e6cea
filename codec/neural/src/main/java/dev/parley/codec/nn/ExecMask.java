package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Which batch slots a streaming call advances. A slot that is not executing keeps its state exactly
 * (the reference's exec mask): its outputs are computed but meaningless.
 */
public final class ExecMask {
  private final boolean[] active;
  private final boolean all;
  private NDArray device;

  private ExecMask(boolean[] active) {
    this.active = active.clone();
    boolean a = true;
    for (boolean b : active) {
      a &= b;
    }
    this.all = a;
  }

  /** Every one of {@code batch} slots executes. */
  public static ExecMask all(int batch) {
    boolean[] a = new boolean[batch];
    java.util.Arrays.fill(a, true);
    return new ExecMask(a);
  }

  public static ExecMask of(boolean... active) {
    return new ExecMask(active);
  }

  public int batch() {
    return active.length;
  }

  public boolean isActive(int slot) {
    return active[slot];
  }

  public boolean allActive() {
    return all;
  }

  /**
   * {@code where(mask, updated, previous)} along the batch axis (axis 0), or {@code updated} itself
   * when every slot executes. The mask tensor is created once, in {@code scope}.
   */
  public NDArray select(NDManager scope, NDArray updated, NDArray previous) {
    if (all) {
      return updated;
    }
    if (device == null || device.getManager() != scope) {
      device = scope.create(active);
    }
    long[] s = new long[updated.getShape().dimension()];
    java.util.Arrays.fill(s, 1);
    s[0] = active.length;
    // PyTorch's where in DJL does not broadcast the condition: expand it to the full shape.
    return ai.djl.ndarray.NDArrays.where(
        device.reshape(new Shape(s)).broadcast(updated.getShape()), updated, previous);
  }
}
