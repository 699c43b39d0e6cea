package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Moshi's StreamingTransformer over [B, T, D] inputs: optional sinusoidal embedding, then the
 * layers. Streaming state ({@link State}) is owned by the caller, one per batch of streams.
 */
public final class Transformer {
  private final TransformerConfig cfg;
  private final TransformerLayer[] layers;
  private final RotaryEmbedding rope;
  private long segmentCost = -1; // row-keys per attention run; -1 = from the device and type

  /** {@code prefix} up to the layer list, e.g. {@code encoder_transformer.transformer.} */
  public Transformer(Parameters p, String prefix, TransformerConfig cfg) {
    this(p, prefix, cfg, false);
  }

  /**
   * With {@code crossAttention}, every layer has a cross-attention block; its source is given to
   * {@link #forward(NDArray, NDArray)} or, when streaming, set once per slot with {@link
   * State#setCrossSource}.
   */
  public Transformer(Parameters p, String prefix, TransformerConfig cfg, boolean crossAttention) {
    this.cfg = cfg;
    this.layers = new TransformerLayer[cfg.numLayers()];
    for (int i = 0; i < layers.length; i++) {
      layers[i] = new TransformerLayer(p, prefix + "layers." + i + ".", cfg, crossAttention);
    }
    this.rope = cfg.usesRope() ? new RotaryEmbedding(cfg.headDim(), cfg.maxPeriod()) : null;
  }

  /** Fixes what one more attention run costs, in row-keys (tests: 0 splits at every length). */
  void segmentCost(long rowKeys) {
    this.segmentCost = rowKeys;
  }

  public TransformerConfig config() {
    return cfg;
  }

  public boolean hasCrossAttention() {
    return layers.length > 0 && layers[0].hasCrossAttention();
  }

  /** Whole sequence at positions 0..T-1 (the reference's non-streaming call). */
  public NDArray forward(NDArray x) {
    return forward(x, null);
  }

  /** Whole sequence with the cross-attention source [B, S, D] (null without cross-attention). */
  public NDArray forward(NDArray x, NDArray crossSource) {
    int t = Math.toIntExact(x.getShape().get(1));
    AttentionStep step =
        AttentionStep.wholeSequence(x.getManager(), t, cfg.causal(), cfg.context(), rope)
            .withMaskType(x.getDataType());
    if (cfg.usesSin()) {
      x = x.add(sinEmbedding(x.getManager(), new long[] {0}, t));
    }
    for (TransformerLayer layer : layers) {
      if (layer.hasCrossAttention()) {
        if (crossSource == null) {
          throw new IllegalArgumentException(
              "this transformer has cross-attention: a source is required");
        }
        NDArray[] kv = layer.crossKeysValues(crossSource);
        x = layer.forward(x, step, null, kv[0], kv[1]);
      } else {
        x = layer.forward(x, step, null);
      }
    }
    return x;
  }

  /**
   * One streaming call of T steps; x [n, T, D] steps slots 0..n−1 of {@code state} (n at most its
   * batch), so attention spans only what those slots have written.
   */
  public NDArray step(NDArray x, State state, ExecMask mask) {
    int t = Math.toIntExact(x.getShape().get(1));
    int n = Math.toIntExact(x.getShape().get(0));
    NDManager m = x.getManager();
    long[] offsets = n == state.offsets.length ? state.offsets : Arrays.copyOf(state.offsets, n);
    AttentionStep step =
        AttentionStep.streaming(
                m,
                t,
                offsets,
                state.capacity,
                cfg.causal(),
                cfg.context(),
                rope,
                mask,
                state.offsetCpu,
                cfg.maskOldestKey(),
                segmentCost >= 0 ? segmentCost : KeySegments.segmentCost(x, cfg.dModel()))
            .withMaskType(x.getDataType());
    if (cfg.usesSin()) {
      x = x.add(sinEmbedding(m, offsets, t));
    }
    for (int i = 0; i < layers.length; i++) {
      if (layers[i].hasCrossAttention()) {
        if (state.crossKeys == null) {
          throw new IllegalStateException("cross-attention source not set (State.setCrossSource)");
        }
        x =
            layers[i].forward(
                x,
                step,
                state.caches[i],
                SlotRows.head(state.crossKeys[i], n, m),
                SlotRows.head(state.crossValues[i], n, m));
      } else {
        x = layers[i].forward(x, step, state.caches[i]);
      }
    }
    for (int b = 0; b < n; b++) {
      if (mask.isActive(b)) {
        state.offsets[b] += t;
      }
    }
    state.offsetCpu += t;
    return x;
  }

  /**
   * {@code create_sin_embedding}: cos half then sin half, phase = pos / max_period^(i/(half-1)).
   */
  private NDArray sinEmbedding(NDManager m, long[] offsets, int t) {
    int dim = cfg.dModel();
    int half = dim / 2;
    float[] v = new float[offsets.length * t * dim];
    float maxPeriod = (float) cfg.maxPeriod();
    for (int b = 0; b < offsets.length; b++) {
      for (int i = 0; i < t; i++) {
        float pos = (float) (offsets[b] + i);
        int o = (b * t + i) * dim;
        for (int j = 0; j < half; j++) {
          float phase = pos / (float) Math.pow(maxPeriod, (float) j / (half - 1));
          v[o + j] = (float) Math.cos(phase);
          v[o + half + j] = (float) Math.sin(phase);
        }
      }
    }
    return m.create(v, new Shape(offsets.length, t, dim));
  }

  public State newState(NDManager manager, int batch) {
    return newState(manager, batch, ai.djl.ndarray.types.DataType.FLOAT32);
  }

  /** State whose KV caches hold {@code type} (the compute type of the weights). */
  public State newState(NDManager manager, int batch, ai.djl.ndarray.types.DataType type) {
    return new State(manager, batch, type, cfg.cacheCapacity());
  }

  /** State with an explicit KV capacity (the depformer's cache spans one frame's positions). */
  public State newState(
      NDManager manager, int batch, ai.djl.ndarray.types.DataType type, int capacity) {
    return new State(manager, batch, type, capacity);
  }

  /**
   * One slot's stream copied out of a {@link State}: its position and each layer's keys then values
   * ([1, H, L, Dh], L = the ring slots written). The arrays belong to the manager given to {@link
   * State#copy}.
   */
  public record SlotCopy(long offset, NDList rows) {}

  /** Per-slot positions and one KV ring per layer. */
  public final class State implements SlotState {
    final long[] offsets;
    final KvCache[] caches;
    final int capacity;
    int offsetCpu;
    private final NDManager manager;
    private final ai.djl.ndarray.types.DataType type;
    NDArray[] crossKeys; // per layer [B, H, S, Dh], allocated by the first setCrossSource
    NDArray[] crossValues;

    State(NDManager manager, int batch, ai.djl.ndarray.types.DataType type, int capacity) {
      this.manager = manager;
      this.type = type;
      this.capacity = capacity;
      this.offsets = new long[batch];
      this.caches = new KvCache[layers.length];
      for (int i = 0; i < caches.length; i++) {
        caches[i] = new KvCache(manager, batch, cfg.numHeads(), capacity, cfg.headDim(), type);
      }
    }

    /**
     * A slot starts over at position 0; its old keys become unreachable through their positions.
     */
    @Override
    public void reset(int slot) {
      offsets[slot] = 0;
    }

    /** Positions, KV rings and cross-attention keys/values of {@code from} into {@code to}. */
    @Override
    public void move(int from, int to) {
      offsets[to] = offsets[from];
      for (KvCache c : caches) {
        c.move(from, to);
      }
      if (crossKeys != null) {
        for (int i = 0; i < crossKeys.length; i++) {
          SlotRows.copy(crossKeys[i], from, to);
          SlotRows.copy(crossValues[i], from, to);
        }
      }
    }

    /**
     * A copy of {@code slot}'s stream as it is — its position and the keys and values it has
     * written (only the ring slots its positions reached) — owned by {@code into}, for {@link
     * #restore} into any slot of a state of this transformer. Cross-attention keys are not copied.
     */
    public SlotCopy copy(int slot, NDManager into) {
      if (crossKeys != null) {
        throw new IllegalStateException("a cross-attention state's slots are not copied");
      }
      int length = (int) Math.min(offsets[slot], capacity);
      NDList rows = new NDList();
      if (length > 0) {
        for (KvCache c : caches) {
          rows.addAll(java.util.List.of(c.copyRows(slot, length, into)));
        }
      }
      return new SlotCopy(offsets[slot], rows);
    }

    /** Slot {@code slot} continues the stream {@link #copy} took; the copy stays the caller's. */
    public void restore(int slot, SlotCopy copy) {
      if (!copy.rows().isEmpty() && copy.rows().size() != 2 * caches.length) {
        throw new IllegalArgumentException("a copy of another transformer's state");
      }
      offsets[slot] = copy.offset();
      for (int i = 0; i < copy.rows().size() / 2; i++) {
        caches[i].setRows(slot, copy.rows().get(2 * i), copy.rows().get(2 * i + 1));
      }
    }

    /** Whole-state reset (also the per-position weight counter, as the reference's reset). */
    public void resetAll() {
      java.util.Arrays.fill(offsets, 0);
      offsetCpu = 0;
    }

    public long offset(int slot) {
      return offsets[slot];
    }

    /**
     * Computes every layer's cross-attention keys and values of {@code source} [1, S, D] once and
     * stores them for {@code slot} (the reference's cached {@code k_cross}/{@code v_cross}). Every
     * slot of a state shares the same source length S, fixed by the first call.
     */
    // The scope is opened for what closing it does: it frees every array made inside.
    @SuppressWarnings("try")
    public void setCrossSource(int slot, NDArray source) {
      if (!hasCrossAttention()) {
        throw new IllegalStateException("this transformer has no cross-attention");
      }
      Shape s = source.getShape();
      if (s.dimension() != 3 || s.get(0) != 1 || s.get(2) != cfg.dModel()) {
        throw new IllegalArgumentException(
            "cross-attention source must be [1, S, " + cfg.dModel() + "], got " + s);
      }
      long len = s.get(1);
      if (crossKeys == null) {
        crossKeys = new NDArray[layers.length];
        crossValues = new NDArray[layers.length];
        Shape shape = new Shape(offsets.length, cfg.numHeads(), len, cfg.headDim());
        for (int i = 0; i < layers.length; i++) {
          crossKeys[i] = manager.zeros(shape, type);
          crossValues[i] = manager.zeros(shape, type);
          // State, not per-call: a caller's open NDScope must not close them.
          ai.djl.ndarray.NDScope.unregister(crossKeys[i], crossValues[i]);
        }
      } else if (crossKeys[0].getShape().get(2) != len) {
        throw new IllegalArgumentException(
            "cross-attention source length "
                + len
                + " differs from this state's "
                + crossKeys[0].getShape().get(2));
      }
      try (ai.djl.ndarray.NDScope ignored = new ai.djl.ndarray.NDScope()) {
        NDArray src = source.getDataType() == type ? source : source.toType(type, false);
        for (int i = 0; i < layers.length; i++) {
          NDArray[] kv = layers[i].crossKeysValues(src);
          crossKeys[i].set(new ai.djl.ndarray.index.NDIndex("{}:{}", slot, slot + 1), kv[0]);
          crossValues[i].set(new ai.djl.ndarray.index.NDIndex("{}:{}", slot, slot + 1), kv[1]);
        }
      }
    }

    /** Whether {@link #setCrossSource} has been called. */
    public boolean hasCrossSource() {
      return crossKeys != null;
    }

    /**
     * A copy of {@code slot}'s cross-attention keys and values (every layer's keys, then every
     * layer's values, each [1, H, S, Dh]) in {@code into}: computing them is the costly part of a
     * new session, and sessions with the same source can share one copy.
     */
    public NDList crossKeysValues(int slot, NDManager into) {
      if (crossKeys == null) {
        throw new IllegalStateException("cross-attention source not set (State.setCrossSource)");
      }
      NDList out = new NDList();
      ai.djl.ndarray.index.NDIndex row = new ai.djl.ndarray.index.NDIndex("{}:{}", slot, slot + 1);
      for (NDArray[] arrays : new NDArray[][] {crossKeys, crossValues}) {
        for (NDArray a : arrays) {
          NDArray c = a.get(row).duplicate();
          c.attach(into);
          out.add(c);
        }
      }
      return out;
    }

    /**
     * Sets {@code slot}'s cross-attention keys and values from {@link #crossKeysValues} of this
     * state.
     */
    public void setCrossKeysValues(int slot, NDList keysValues) {
      if (crossKeys == null || keysValues.size() != 2 * layers.length) {
        throw new IllegalStateException(
            "no cross-attention state to set, or keys/values of another transformer");
      }
      ai.djl.ndarray.index.NDIndex row = new ai.djl.ndarray.index.NDIndex("{}:{}", slot, slot + 1);
      for (int i = 0; i < layers.length; i++) {
        crossKeys[i].set(row, keysValues.get(i));
        crossValues[i].set(row, keysValues.get(layers.length + i));
      }
    }
  }
}
