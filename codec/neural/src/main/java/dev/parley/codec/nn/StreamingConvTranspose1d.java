package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Causal transposed 1-d convolution (Moshi's StreamingConvTranspose1d, all trimming on the right).
 * DJL has no transposed convolution for PyTorch, so it is computed as one matmul (or, depthwise,
 * one broadcast product) followed by an overlap-add of kernel/stride shifted blocks. Streaming
 * keeps the last {@code kernel - stride} outputs (minus bias) and adds them to the start of the
 * next call.
 */
public final class StreamingConvTranspose1d implements StreamingModule {
  private final NDArray weightMatrix; // dense: [Cin, Cout*Kp]; depthwise: [C, Kp, 1]
  private final NDArray
      bias; // [1, Cout, 1], shaped once so that calls create nothing in the weights' manager
  private final long in;
  private final long out;
  private final int kernel;
  private final int stride;
  private final int blocks; // ceil(kernel / stride)
  private final boolean depthwise;
  private final int overlap;

  /**
   * @param groups 1 (dense) or {@code in == out} (depthwise, Mimi's channel-wise upsampler)
   */
  public StreamingConvTranspose1d(
      Parameters p,
      String prefix,
      long in,
      long out,
      int kernel,
      int stride,
      int groups,
      boolean bias) {
    if (groups != 1 && !(groups == in && in == out)) {
      throw new IllegalArgumentException(
          "only dense or depthwise transposed convolutions are supported");
    }
    this.in = in;
    this.out = out;
    this.kernel = kernel;
    this.stride = stride;
    this.depthwise = groups != 1;
    this.blocks = (kernel + stride - 1) / stride;
    this.overlap = kernel - stride;
    NDArray w = p.get(prefix + "weight", in, out / groups, kernel);
    int padded = blocks * stride;
    if (padded != kernel) {
      // Zero taps up to a multiple of the stride; the extra outputs are trimmed below.
      w =
          w.concat(
              p.manager().zeros(new Shape(in, out / groups, padded - kernel), w.getDataType()), 2);
    }
    this.weightMatrix = depthwise ? w.reshape(in, padded, 1) : w.reshape(in, out * padded);
    this.bias = bias ? p.get(prefix + "bias", out).reshape(1, out, 1) : null;
  }

  /** Every input step's contribution, [B, Cin, T] → [B, T, Cout, blocks, S] (no bias). */
  private NDArray blocks(NDArray x) {
    Shape s = x.getShape();
    long b = s.get(0);
    long t = s.get(2);
    if (depthwise) {
      // [B, C, 1, T] * [C, Kp, 1] → [B, C, Kp, T]
      return x.expandDims(2)
          .mul(weightMatrix)
          .reshape(b, out, blocks, stride, t)
          .transpose(0, 4, 1, 2, 3);
    }
    return x.transpose(0, 2, 1).matMul(weightMatrix).reshape(b, t, out, blocks, stride);
  }

  /** Transposed conv of the whole input: [B, Cin, T] → [B, Cout, (T-1)·S + K], bias included. */
  NDArray full(NDArray x) {
    Shape s = x.getShape();
    long b = s.get(0);
    long t = s.get(2);
    NDArray z = blocks(x); // [B, T, Cout, blocks, S]
    NDArray sum = null;
    NDManager m = x.getManager();
    for (int j = 0; j < blocks; j++) {
      NDArray part = z.get(new NDIndex(":, :, :, {}", j)); // [B, T, Cout, S]
      NDList pieces = new NDList();
      if (j > 0) {
        pieces.add(m.zeros(new Shape(b, j, out, stride), x.getDataType()));
      }
      pieces.add(part);
      if (blocks - 1 - j > 0) {
        pieces.add(m.zeros(new Shape(b, blocks - 1 - j, out, stride), x.getDataType()));
      }
      NDArray shifted = pieces.size() == 1 ? part : ai.djl.ndarray.NDArrays.concat(pieces, 1);
      sum = sum == null ? shifted : sum.add(shifted);
    }
    // [B, T+blocks-1, Cout, S] → [B, Cout, (T+blocks-1)·S]
    NDArray y = sum.transpose(0, 2, 1, 3).reshape(b, out, (t + blocks - 1) * stride);
    long fullLen = (t - 1) * stride + kernel;
    if (fullLen != (t + blocks - 1) * stride) {
      y = y.get(new NDIndex(":, :, :{}", fullLen));
    }
    if (bias != null) {
      y = y.add(bias);
    }
    return y;
  }

  /** Whole sequence: [B, Cin, T] → [B, Cout, T·S] (the last K−S outputs are dropped). */
  @Override
  public NDArray forward(NDArray x) {
    NDArray y = full(x);
    return overlap == 0 ? y : y.get(new NDIndex(":, :, :{}", x.getShape().get(2) * stride));
  }

  @Override
  public NDArray step(NDArray x, SlotState slotState, ExecMask mask) {
    State state = (State) slotState;
    if (blocks == 2 && kernel == 2 * stride) {
      return stepTwoBlocks(x, state, mask);
    }
    NDArray y = full(x);
    if (overlap == 0) {
      return y;
    }
    long n = x.getShape().get(2) * stride;
    NDArray head = y.get(new NDIndex(":, :, :{}", overlap)).add(state.partial);
    NDArray summed = head.concat(y.get(new NDIndex(":, :, {}:", overlap)), 2);
    NDArray outNow = summed.get(new NDIndex(":, :, :{}", n));
    NDArray tail = summed.get(new NDIndex(":, :, {}:", n));
    if (bias != null) {
      tail = tail.sub(bias);
    }
    state.partial.intern(mask.select(x.getManager(), tail, state.partial).duplicate());
    return outNow;
  }

  /**
   * Kernel = 2·stride (every transposed conv of Mimi): output block t is {@code z0[t] + z1[t-1]},
   * with {@code z1} of the previous call's last step as the pending overlap — one addition over the
   * output instead of zero-padded shifted copies, and the bias added once. The pending state is the
   * same {@code [B, Cout, S]} as the general path keeps (outputs minus bias).
   */
  private NDArray stepTwoBlocks(NDArray x, State state, ExecMask mask) {
    long b = x.getShape().get(0);
    long t = x.getShape().get(2);
    NDArray z = blocks(x); // [B, T, Cout, 2, S]
    NDArray first = z.get(new NDIndex(":, :, :, 0"));
    NDArray second = z.get(new NDIndex(":, :, :, 1"));
    NDArray pending = state.partial.expandDims(1);
    pending.attach(x.getManager()); // a view of the state: keep it in this call's scope
    NDArray shifted =
        t == 1 ? pending : pending.concat(second.get(new NDIndex(":, :{}", t - 1)), 1);
    NDArray y = first.add(shifted).transpose(0, 2, 1, 3).reshape(b, out, t * stride);
    if (bias != null) {
      y = y.add(bias);
    }
    NDArray last = second.get(new NDIndex(":, {}", t - 1)); // [B, Cout, S]
    state.partial.intern(mask.select(x.getManager(), last, state.partial).duplicate());
    return y;
  }

  @Override
  public SlotState newState(NDManager manager, int batch) {
    return new State(
        manager.zeros(new Shape(batch, out, Math.max(overlap, 0)), weightMatrix.getDataType()));
  }

  public int stride() {
    return stride;
  }

  /** Per-slot pending overlap outputs. */
  public static final class State implements SlotState {
    private final NDArray partial;

    State(NDArray partial) {
      this.partial = partial;
    }

    @Override
    public void reset(int slot) {
      partial.set(new NDIndex("{}", slot), 0f);
    }
  }
}
