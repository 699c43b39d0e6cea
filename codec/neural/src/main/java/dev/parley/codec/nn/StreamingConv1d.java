package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Causal 1-d convolution (Moshi's StreamingConv1d). The left context of {@code (kernel-1)·dilation
 * + 1 - stride} samples is zeros (or, with replicate padding, copies of the first sample) at the
 * start of a stream and the tail of the previous call afterwards, so a whole-sequence call and any
 * split into stride-multiple chunks give the same result.
 */
public final class StreamingConv1d implements StreamingModule {
  /** Outputs per call up to which the convolution runs as one x·Wᵀ product (see {@link #conv}). */
  static final int MATMUL_MAX_OUTPUTS = 16;

  private final NDArray weight;
  private final NDArray weightMatrix; // [Cout, Cin·K], or null
  private final NDArray biasVector; // [Cout], or null
  private final int kernel;
  private final int stride;
  private final int dilation;
  private final int groups;
  private final int context;
  private final boolean replicatePad;
  private final long inChannels;

  /**
   * @param prefix name prefix up to the inner conv, e.g. {@code encoder.model.0.conv.conv.}
   */
  public StreamingConv1d(
      Parameters p,
      String prefix,
      long in,
      long out,
      int kernel,
      int stride,
      int dilation,
      int groups,
      boolean bias,
      boolean replicatePad) {
    this.weight = p.get(prefix + "weight", out, in / groups, kernel);
    this.biasVector = bias ? p.get(prefix + "bias", out) : null;
    this.weightMatrix = groups == 1 && p.materialized() ? weight.reshape(out, in * kernel) : null;
    this.kernel = kernel;
    this.stride = stride;
    this.dilation = dilation;
    this.groups = groups;
    this.context = (kernel - 1) * dilation + 1 - stride;
    this.replicatePad = replicatePad;
    this.inChannels = in;
    if (context < 0) {
      throw new IllegalArgumentException("kernel smaller than stride is not causal-streamable");
    }
  }

  /** Samples of left context kept between calls. */
  public int context() {
    return context;
  }

  public int stride() {
    return stride;
  }

  /** Whole sequence [B, Cin, T] → [B, Cout, T/stride] (T a multiple of the stride). */
  @Override
  public NDArray forward(NDArray x) {
    checkLength(x);
    if (context == 0) {
      return conv(x);
    }
    NDArray pad = leftPad(x);
    return conv(pad.concat(x, 2));
  }

  /**
   * The unpadded convolution. For short outputs (the 12.5–25 Hz end of SEANet, where each call
   * yields 1–16 steps) libtorch's conv1d runs its GEMM in the orientation that streams the weights
   * slowly; gathering the K taps and computing x·Wᵀ + b instead was measured 2–4× faster there
   * (512→1024, k16, 2 outputs: 9.3 → 4.4 ms). Same products, same sums.
   */
  private NDArray conv(NDArray x) {
    long tin = x.getShape().get(2);
    long tout = (tin - ((long) (kernel - 1) * dilation + 1)) / stride + 1;
    if (weightMatrix == null || tout > MATMUL_MAX_OUTPUTS) {
      return Ops.conv1d(x, weight, biasVector, stride, dilation, groups);
    }
    Shape s = x.getShape();
    NDArray cols;
    if (kernel == 1) {
      cols = x.transpose(0, 2, 1);
    } else {
      // One gather of every tap, [B, Cin, Tout, K] (one libtorch call instead of K slices and a
      // stack), then contiguous [B, Tout, Cin·K]: MKL streams the weights faster with a contiguous
      // left operand (measured 2.9 vs 4.0 ms for 512→1024, k16).
      long[] taps = new long[(int) tout * kernel];
      for (int t = 0; t < tout; t++) {
        for (int i = 0; i < kernel; i++) {
          taps[t * kernel + i] = (long) t * stride + (long) i * dilation;
        }
      }
      NDArray index = x.getManager().create(taps, new Shape(tout, kernel));
      cols =
          x.get(new NDIndex(":, :, {}", index))
              .transpose(0, 2, 1, 3)
              .reshape(s.get(0), tout, inChannels * kernel);
    }
    return Ops.linear(cols, weightMatrix, biasVector).transpose(0, 2, 1);
  }

  private NDArray leftPad(NDArray x) {
    Shape s = x.getShape();
    if (replicatePad) {
      return x.get(new NDIndex(":, :, :1")).repeat(2, context);
    }
    return x.getManager().zeros(new Shape(s.get(0), s.get(1), context), x.getDataType());
  }

  private void checkLength(NDArray x) {
    long t = x.getShape().get(2);
    if (t <= 0 || t % stride != 0) {
      throw new IllegalArgumentException(
          "conv input length " + t + " is not a positive multiple of stride " + stride);
    }
  }

  /** Streaming call: the new samples of every slot in, the same number of output steps out. */
  @Override
  public NDArray step(NDArray x, SlotState slotState, ExecMask mask) {
    checkLength(x);
    if (context == 0) {
      return conv(x);
    }
    State state = (State) slotState;
    NDManager scope = x.getManager();
    if (replicatePad) {
      state.fillFirst(x, mask, context);
    }
    // A call with n rows steps slots 0..n-1.
    NDArray previous = SlotRows.head(state.previous, x.getShape().get(0), scope);
    NDArray full = previous.concat(x, 2);
    full.attach(
        scope); // concat belongs to the state's manager; this call's tensors must stay in the
    // call's scope
    NDArray y = conv(full);
    long len = full.getShape().get(2);
    NDArray tail = full.get(new NDIndex(":, :, {}:", len - context));
    SlotRows.store(state.previous, mask.select(scope, tail, previous));
    return y;
  }

  @Override
  public SlotState newState(NDManager manager, int batch) {
    if (context == 0) {
      return SlotState.NONE;
    }
    return new State(manager, batch, inChannels, context, weight.getDataType());
  }

  /** Per-slot carried input samples. */
  public static final class State implements SlotState {
    private final NDArray previous;
    private final boolean[] first;

    State(
        NDManager manager,
        int batch,
        long channels,
        int context,
        ai.djl.ndarray.types.DataType type) {
      previous = manager.zeros(new Shape(batch, channels, context), type);
      first = new boolean[batch];
      java.util.Arrays.fill(first, true);
    }

    /** Replicate padding: a slot's first call fills its history with its first sample. */
    void fillFirst(NDArray x, ExecMask mask, int context) {
      for (int b = 0; b < mask.batch(); b++) {
        if (first[b] && mask.isActive(b)) {
          previous.set(new NDIndex("{}", b), x.get(new NDIndex("{}, :, :1", b)).repeat(1, context));
          first[b] = false;
        }
      }
    }

    @Override
    public void reset(int slot) {
      previous.set(new NDIndex("{}", slot), 0f);
      first[slot] = true;
    }

    @Override
    public void move(int from, int to) {
      SlotRows.copy(previous, from, to);
      first[to] = first[from];
    }
  }
}
