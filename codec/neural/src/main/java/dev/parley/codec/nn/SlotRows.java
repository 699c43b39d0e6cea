package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;

/** Row operations on batched state tensors (axis 0 = slot). */
public final class SlotRows {
  private SlotRows() {}

  /** Copies row {@code from} of {@code a} over row {@code to}, in place. */
  // The scope is opened for what closing it does: it frees the view made inside.
  @SuppressWarnings("try")
  public static void copy(NDArray a, int from, int to) {
    if (from == to) {
      return;
    }
    try (NDScope ignored = new NDScope()) {
      a.set(new NDIndex("{}", to), a.get(new NDIndex("{}", from)));
    }
  }

  /**
   * Rows 0..n−1 of {@code a}: {@code a} itself when it has n rows, else a view kept in {@code
   * scope} (a view of a state tensor would otherwise join the state's manager).
   */
  public static NDArray head(NDArray a, long n, NDManager scope) {
    if (a.getShape().get(0) == n) {
      return a;
    }
    NDArray view = a.get(new NDIndex(":{}", n));
    view.attach(scope);
    return view;
  }

  /**
   * Stores {@code value} (n rows) as rows 0..n−1 of {@code state}: swaps it in when it covers every
   * row, else copies it over the first n.
   */
  public static void store(NDArray state, NDArray value) {
    long n = value.getShape().get(0);
    if (state.getShape().get(0) == n) {
      state.intern(value.duplicate());
    } else {
      state.set(new NDIndex(":{}", n), value);
    }
  }
}
