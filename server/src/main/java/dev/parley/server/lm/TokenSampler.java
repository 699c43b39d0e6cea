package dev.parley.server.lm;

import java.util.SplittableRandom;

/**
 * Draws one token from a row of logits, in Java: the logits are downloaded anyway, DJL lacks a
 * multinomial draw, and a per-session {@link SplittableRandom} makes every session reproducible
 * from its seed regardless of what else shares the batch.
 */
public final class TokenSampler {
  private TokenSampler() {}

  /** First index of the maximum (torch.argmax's tie rule). */
  public static int argmax(float[] logits, int offset, int length) {
    int best = 0;
    float bestValue = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < length; i++) {
      float v = logits[offset + i];
      if (v > bestValue || (Float.isNaN(v) && !Float.isNaN(bestValue))) {
        bestValue = v;
        best = i;
        if (Float.isNaN(v)) {
          break; // torch.argmax treats NaN as the maximum
        }
      }
    }
    return best;
  }

  public static int sample(
      float[] logits, int offset, int length, SamplingParams p, SplittableRandom random) {
    if (p.greedy()) {
      return argmax(logits, offset, length);
    }
    if (p.topP() <= 0 && p.topK() > 0 && p.topK() < length) {
      return sampleTopK(logits, offset, length, p, random);
    }
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < length; i++) {
      max = Math.max(max, logits[offset + i] / p.temperature());
    }
    double[] prob = new double[length];
    double sum = 0;
    for (int i = 0; i < length; i++) {
      prob[i] = Math.exp(logits[offset + i] / p.temperature() - max);
      sum += prob[i];
    }
    for (int i = 0; i < length; i++) {
      prob[i] /= sum;
    }
    int[] order = null;
    int keep = length;
    if (p.topP() > 0) {
      order = sortedDescending(prob, length);
      // Keep the smallest prefix whose mass before each kept token is ≤ p (the reference's rule).
      double cum = 0;
      keep = 0;
      while (keep < length) {
        if (cum > p.topP()) {
          break;
        }
        cum += prob[order[keep]];
        keep++;
      }
    }
    return draw(prob, order, keep, random);
  }

  /**
   * Top-k without a softmax over the whole vocabulary: the k largest logits are the k largest
   * probabilities, and the normalisation cancels in the draw — 32 000 text logits cost one pass.
   */
  private static int sampleTopK(
      float[] logits, int offset, int length, SamplingParams p, SplittableRandom random) {
    int[] top = topKLogits(logits, offset, length, p.topK());
    double max = logits[offset + top[0]] / p.temperature();
    double[] weight = new double[top.length];
    for (int i = 0; i < top.length; i++) {
      weight[i] = Math.exp(logits[offset + top[i]] / p.temperature() - max);
    }
    int pick = draw(weight, null, top.length, random);
    return top[pick];
  }

  private static int draw(double[] weight, int[] order, int keep, SplittableRandom random) {
    double mass = 0;
    for (int i = 0; i < keep; i++) {
      mass += weight[order == null ? i : order[i]];
    }
    double u = random.nextDouble() * mass;
    double acc = 0;
    for (int i = 0; i < keep; i++) {
      int idx = order == null ? i : order[i];
      acc += weight[idx];
      if (u < acc) {
        return idx;
      }
    }
    return order == null ? keep - 1 : order[keep - 1];
  }

  /**
   * Indices of the k largest logits, largest first (ties to the lower index), with a primitive
   * binary min-heap: no boxing, one pass over the row.
   */
  static int[] topKLogits(float[] logits, int offset, int length, int k) {
    int[] heap = new int[k];
    int size = 0;
    for (int i = 0; i < length; i++) {
      if (size < k) {
        heap[size] = i;
        siftUp(heap, size++, logits, offset);
      } else if (less(heap[0], i, logits, offset)) {
        heap[0] = i;
        siftDown(heap, size, logits, offset);
      }
    }
    int[] out = new int[size];
    for (int n = size - 1; n >= 0; n--) {
      out[n] = heap[0];
      heap[0] = heap[--size];
      siftDown(heap, size, logits, offset);
    }
    return out;
  }

  /** Heap order: a is "smaller" than b (lower logit, or equal logit and higher index). */
  private static boolean less(int a, int b, float[] v, int off) {
    float x = v[off + a];
    float y = v[off + b];
    return x < y || (x == y && a > b);
  }

  private static void siftUp(int[] h, int i, float[] v, int off) {
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (!less(h[i], h[parent], v, off)) {
        return;
      }
      int t = h[i];
      h[i] = h[parent];
      h[parent] = t;
      i = parent;
    }
  }

  private static void siftDown(int[] h, int size, float[] v, int off) {
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      if (l >= size) {
        return;
      }
      int c = l + 1 < size && less(h[l + 1], h[l], v, off) ? l + 1 : l;
      if (!less(h[c], h[i], v, off)) {
        return;
      }
      int t = h[i];
      h[i] = h[c];
      h[c] = t;
      i = c;
    }
  }

  private static int[] sortedDescending(double[] prob, int length) {
    Integer[] idx = new Integer[length];
    for (int i = 0; i < length; i++) {
      idx[i] = i;
    }
    java.util.Arrays.sort(idx, (a, b) -> Double.compare(prob[b], prob[a]));
    int[] out = new int[length];
    for (int i = 0; i < length; i++) {
      out[i] = idx[i];
    }
    return out;
  }
}
