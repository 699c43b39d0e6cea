package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A layer that runs either over a whole sequence or chunk by chunk with carried state. Weights are
 * immutable and shared; the state belongs to the caller (one per batch of streams).
 */
public interface StreamingModule {
  NDArray forward(NDArray x);

  SlotState newState(NDManager manager, int batch);

  NDArray step(NDArray x, SlotState state, ExecMask mask);

  /** Stateless element-wise activation. */
  static StreamingModule activation(java.util.function.UnaryOperator<NDArray> f) {
    return new StreamingModule() {
      @Override
      public NDArray forward(NDArray x) {
        return f.apply(x);
      }

      @Override
      public SlotState newState(NDManager manager, int batch) {
        return SlotState.NONE;
      }

      @Override
      public NDArray step(NDArray x, SlotState state, ExecMask mask) {
        return f.apply(x);
      }
    };
  }
}
