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
 * next call. A dense layer whose kernel is twice the stride (Mimi's decoder) and whose weights are
 * small runs instead as a kernel-2 convolution over [previous call's last input step, x], carrying
 * that input step.
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
  // kernel = 2·stride, dense: the same layer as a kernel-2 convolution over [previous step, x]
  // producing Cout·S channels ([Cout·S, Cin, 2], bias repeated S times), or null.
  private final NDArray convWeight;
  private final NDArray convBias;

  /**
   * Dense kernel-2S layers up to this many weights run as a convolution: libtorch hands it to
   * oneDNN, whose kernels use AVX-512 where oneMKL's GEMM (on AMD CPUs) does not — measured 2×
   * faster for Mimi's decoder stages at 96–480 steps and at batch 8. Larger ones (the 25 Hz end,
   * where each call has 1–2 steps per stream) keep one x·W product, which streams their weights
   * best; oneDNN would repack them every call.
   */
  static final long CONV_MAX_WEIGHTS = 4L << 20;

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
    NDArray b = bias ? p.get(prefix + "bias", out) : null;
    this.bias = b == null ? null : b.reshape(1, out, 1);
    if (!depthwise && twoBlocks() && p.materialized() && in * out * kernel <= CONV_MAX_WEIGHTS) {
      // Tap i of output channel (co, s) applies to step t-1+i: i = 0 is block 1, i = 1 block 0.
      convWeight =
          w.reshape(in, out, 2, stride)
              .flip(2)
              .transpose(1, 3, 0, 2)
              .reshape(out * stride, in, 2)
              .duplicate();
      convBias = b == null ? null : b.reshape(out, 1).repeat(1, stride).reshape(out * stride);
    } else {
      convWeight = null;
      convBias = null;
    }
  }

  private boolean twoBlocks() {
    return kernel == 2 * stride;
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
    if (convWeight != null) {
      return stepAsConvolution(x, state, mask);
    }
    if (twoBlocks()) {
      return stepTwoBlocks(x, state, mask);
    }
    NDArray y = full(x);
    if (overlap == 0) {
      return y;
    }
    long n = x.getShape().get(2) * stride;
    // A call with n rows steps slots 0..n-1.
    NDArray carried = SlotRows.head(state.carried, x.getShape().get(0), x.getManager());
    NDArray head = y.get(new NDIndex(":, :, :{}", overlap)).add(carried);
    NDArray summed = head.concat(y.get(new NDIndex(":, :, {}:", overlap)), 2);
    NDArray outNow = summed.get(new NDIndex(":, :, :{}", n));
    NDArray tail = summed.get(new NDIndex(":, :, {}:", n));
    if (bias != null) {
      tail = tail.sub(bias);
    }
    SlotRows.store(state.carried, mask.select(x.getManager(), tail, carried));
    return outNow;
  }

  /**
   * The convolution form: output block t is {@code x[t]·W0 + x[t-1]·W1}, a kernel-2 convolution
   * over the input with the previous call's last step in front, whose Cout·S output channels are
   * the S phases of each output channel.
   */
  private NDArray stepAsConvolution(NDArray x, State state, ExecMask mask) {
    long b = x.getShape().get(0);
    long t = x.getShape().get(2);
    NDArray carried = SlotRows.head(state.carried, b, x.getManager()); // rows 0..b-1 step
    NDArray withHistory = carried.concat(x, 2); // [B, Cin, T+1]
    // concat puts its result in the state's manager; this call's tensors stay in its scope
    withHistory.attach(x.getManager());
    NDArray y =
        Ops.conv1d(withHistory, convWeight, convBias, 1, 1, 1) // [B, Cout·S, T]
            .reshape(b, out, stride, t)
            .transpose(0, 1, 3, 2)
            .reshape(b, out, t * stride);
    NDArray last = x.get(new NDIndex(":, :, {}:", t - 1));
    SlotRows.store(state.carried, mask.select(x.getManager(), last, carried));
    return y;
  }

  /**
   * Kernel = 2·stride as a product: output block t is {@code z0[t] + z1[t-1]}, with {@code z1} of
   * the previous call's last step as the pending overlap — one addition over the output instead of
   * zero-padded shifted copies, and the bias added once.
   */
  private NDArray stepTwoBlocks(NDArray x, State state, ExecMask mask) {
    long b = x.getShape().get(0);
    long t = x.getShape().get(2);
    NDArray z = blocks(x); // [B, T, Cout, 2, S]
    NDArray first = z.get(new NDIndex(":, :, :, 0"));
    NDArray second = z.get(new NDIndex(":, :, :, 1"));
    NDArray carried = SlotRows.head(state.carried, b, x.getManager()); // rows 0..b-1 step
    NDArray pending = carried.expandDims(1);
    pending.attach(x.getManager()); // a view of the state: keep it in this call's scope
    NDArray shifted =
        t == 1 ? pending : pending.concat(second.get(new NDIndex(":, :{}", t - 1)), 1);
    NDArray y = first.add(shifted).transpose(0, 2, 1, 3).reshape(b, out, t * stride);
    if (bias != null) {
      y = y.add(bias);
    }
    NDArray last = second.get(new NDIndex(":, {}", t - 1)); // [B, Cout, S]
    SlotRows.store(state.carried, mask.select(x.getManager(), last, carried));
    return y;
  }

  @Override
  public SlotState newState(NDManager manager, int batch) {
    Shape shape =
        convWeight != null ? new Shape(batch, in, 1) : new Shape(batch, out, Math.max(overlap, 0));
    return new State(manager.zeros(shape, weightMatrix.getDataType()));
  }

  public int stride() {
    return stride;
  }

  /**
   * Per-slot carried history: the previous call's last input step (the convolution form) or its
   * pending overlap outputs minus bias.
   */
  public static final class State implements SlotState {
    private final NDArray carried;

    State(NDArray carried) {
      this.carried = carried;
    }

    @Override
    public void reset(int slot) {
      carried.set(new NDIndex("{}", slot), 0f);
    }

    @Override
    public void move(int from, int to) {
      SlotRows.copy(carried, from, to);
    }
  }
}
