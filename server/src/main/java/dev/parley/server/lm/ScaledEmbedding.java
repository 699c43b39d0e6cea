package dev.parley.server.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.parley.codec.nn.Ops;
import dev.parley.codec.nn.Parameters;

/**
 * Moshi's token embedding ({@code lm_utils.ScaledEmbedding}): a plain table, id −1 embeds to
 * exactly zero, optional low-rank table followed by a projection, optional demultiplexing of two
 * muxed text streams ({@code (second+1)·N + first} → {@code out1(E[first]) + out2(E[second])}).
 * Token ids always come from Java, so index arithmetic is done here, not on tensors.
 */
final class ScaledEmbedding {
  static final long ZERO_TOKEN = -1;

  private NDArray table; // [N, width]
  private final NDArray lowRank; // [dim, rank] or null
  private final NDArray out1;
  private final NDArray out2;
  private final long rows;

  /** {@code prefix} e.g. {@code emb.3.} */
  ScaledEmbedding(
      Parameters p, String prefix, long rows, int dim, Integer lowRankDim, boolean demux) {
    this.rows = rows;
    int width = lowRankDim != null ? lowRankDim : dim;
    this.table = p.get(prefix + "weight", rows, width);
    this.lowRank = lowRankDim != null ? p.get(prefix + "low_rank.weight", dim, lowRankDim) : null;
    if (demux) {
      out1 = p.get(prefix + "out1.weight", dim, width);
      out2 = p.get(prefix + "out2.weight", dim, width);
    } else {
      out1 = null;
      out2 = null;
    }
  }

  /** A plain table (no low rank, no demux) can join a stacked table. */
  boolean plain() {
    return lowRank == null && out1 == null;
  }

  /**
   * Concatenates plain tables into one [sum N, dim] table and makes each embedding a view of its
   * rows, so that summing several streams' embeddings is one lookup without duplicating weights.
   */
  static NDArray stack(ScaledEmbedding[] embeddings) {
    NDList tables = new NDList();
    for (ScaledEmbedding e : embeddings) {
      tables.add(e.table);
    }
    NDArray stacked = NDArrays.concat(tables, 0);
    long row = 0;
    for (ScaledEmbedding e : embeddings) {
      NDArray old = e.table;
      e.table = stacked.get(new NDIndex("{}:{}", row, row + e.rows));
      row += e.rows;
      old.close();
    }
    return stacked;
  }

  /** Embeds {@code ids} (row-major, of {@code shape}) → shape + [dim], in {@code m}. */
  NDArray lookup(NDManager m, long[] ids, long... shape) {
    boolean anyZero = false;
    long[] clamped = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      long id = ids[i];
      if (id == ZERO_TOKEN) {
        anyZero = true;
      }
      if (id < ZERO_TOKEN) {
        throw new IllegalArgumentException("token id " + id + " may not be fed to the model");
      }
      clamped[i] = Math.max(0, id);
    }
    NDArray y;
    if (out1 != null) {
      long[] first = new long[ids.length];
      long[] second = new long[ids.length];
      float[] hasSecond = new float[ids.length];
      boolean anySecond = false;
      for (int i = 0; i < ids.length; i++) {
        first[i] = clamped[i] % rows;
        long s = clamped[i] / rows - 1;
        hasSecond[i] = s >= 0 ? 1f : 0f;
        anySecond |= s >= 0;
        second[i] = Math.max(0, s);
      }
      y = Ops.linear(rowsOf(m, first, shape), out1);
      if (anySecond) {
        NDArray right = Ops.linear(rowsOf(m, second, shape), out2);
        y = y.add(right.mul(mask(m, hasSecond, shape)));
      }
    } else {
      y = rowsOf(m, clamped, shape);
      if (lowRank != null) {
        y = Ops.linear(y, lowRank);
      }
    }
    if (anyZero) {
      float[] keep = new float[ids.length];
      for (int i = 0; i < ids.length; i++) {
        keep[i] = ids[i] == ZERO_TOKEN ? 0f : 1f;
      }
      y = y.mul(mask(m, keep, shape));
    }
    return y;
  }

  private NDArray rowsOf(NDManager m, long[] ids, long[] shape) {
    return Ops.embedding(m.create(ids, new Shape(shape)), table);
  }

  private NDArray mask(NDManager m, float[] v, long[] shape) {
    long[] s = java.util.Arrays.copyOf(shape, shape.length + 1);
    s[shape.length] = 1;
    NDArray a = m.create(v, new Shape(s));
    return a.getDataType() == table.getDataType()
        ? a
        : a.toType(table.getDataType(), /* copy= */ false);
  }
}
