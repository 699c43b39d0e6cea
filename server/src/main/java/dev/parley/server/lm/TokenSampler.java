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

  public static int sample(float[] logits, int offset, int length, SamplingParams p, SplittableRandom random) {
    if (p.greedy()) {
      return argmax(logits, offset, length);
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
    int[] order;
    int keep;
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
    } else if (p.topK() > 0 && p.topK() < length) {
      order = topK(prob, p.topK());
      keep = order.length;
    } else {
      order = null;
      keep = length;
    }
    double mass = 0;
    for (int i = 0; i < keep; i++) {
      mass += prob[order == null ? i : order[i]];
    }
    double u = random.nextDouble() * mass;
    double acc = 0;
    for (int i = 0; i < keep; i++) {
      int idx = order == null ? i : order[i];
      acc += prob[idx];
      if (u < acc) {
        return idx;
      }
    }
    return order == null ? keep - 1 : order[keep - 1];
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

  /** Indices of the k largest probabilities (ties to the lower index), in descending order. */
  static int[] topK(double[] prob, int k) {
    // A bounded min-heap keeps this O(n log k) for 32000-entry text vocabularies.
    java.util.PriorityQueue<Integer> heap = new java.util.PriorityQueue<>(k + 1, (a, b) -> {
      int c = Double.compare(prob[a], prob[b]);
      return c != 0 ? c : Integer.compare(b, a);
    });
    for (int i = 0; i < prob.length; i++) {
      heap.add(i);
      if (heap.size() > k) {
        heap.poll();
      }
    }
    int[] out = new int[heap.size()];
    for (int i = out.length - 1; i >= 0; i--) {
      out[i] = heap.poll();
    }
    return out;
  }
}
