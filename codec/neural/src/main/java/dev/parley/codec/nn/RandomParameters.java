package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * Seeded random weights for benchmarks, the demo model and memory tests: speed does not depend on
 * the values. Weights are N(0, 1/fan_in) so activations stay in range through deep stacks; norm
 * gains, layer scales and codebook usage counts get the values a trained model has. The draw is
 * done in Java so that a seed gives the same model on every machine.
 */
public final class RandomParameters implements Parameters {
  private final NDManager manager;
  private final DataType computeType;
  private final SplittableRandom random;

  public RandomParameters(NDManager manager, long seed, DataType computeType) {
    this.manager = manager;
    this.computeType = computeType;
    this.random = new SplittableRandom(seed);
  }

  public RandomParameters(NDManager manager, long seed) {
    this(manager, seed, DataType.FLOAT32);
  }

  @Override
  public NDManager manager() {
    return manager;
  }

  @Override
  public NDArray get(String name, long... shape) {
    Shape s = new Shape(shape);
    int n = Math.toIntExact(s.size());
    float[] v = new float[n];
    String leaf = name.substring(name.lastIndexOf('.') + 1);
    if (leaf.equals("cluster_usage")
        || leaf.equals("_initialized")
        || leaf.equals("alpha")
        || (name.contains("norm") && leaf.equals("weight"))) {
      java.util.Arrays.fill(v, 1f);
    } else if (leaf.equals("scale")) {
      java.util.Arrays.fill(v, 0.01f);
    } else if (leaf.equals("bias") || leaf.equals("learnt_padding")) {
      // zeros
    } else {
      long fanIn = shape.length <= 1 ? 1 : s.size() / shape[0];
      if (name.contains("emb") || leaf.equals("embedding_sum")) {
        fanIn = 1; // embedding rows and centroids are used as they are
      }
      double std = 1.0 / Math.sqrt(fanIn);
      SplittableRandom r = random.split();
      for (int i = 0; i < n; i++) {
        v[i] = (float) (nextGaussian(r) * std);
      }
    }
    NDArray a = manager.create(v, s);
    if (computeType != DataType.FLOAT32) {
      NDArray c = a.toType(computeType, false);
      a.close();
      return c;
    }
    return a;
  }

  private static double nextGaussian(SplittableRandom r) {
    // Box–Muller; SplittableRandom has no nextGaussian in Java 17.
    double u1 = r.nextDouble();
    double u2 = r.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }
}
