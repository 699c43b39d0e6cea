package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Test weights whose values the test knows: each parameter is drawn from a generator seeded by its
 * name, kept as a Java array (for naive reference implementations) and handed to the module. Like
 * the golden models, norms, layer scales and biases get random values too, so that a code path that
 * ignores them shows.
 */
final class KnownParameters implements Parameters {
  private final NDManager manager;
  private final long seed;
  private final Map<String, float[]> values = new LinkedHashMap<>();

  KnownParameters(NDManager manager, long seed) {
    this.manager = manager;
    this.seed = seed;
  }

  @Override
  public NDArray get(String name, long... shape) {
    Shape s = new Shape(shape);
    int n = Math.toIntExact(s.size());
    Random r = new Random(seed * 31 + name.hashCode());
    String leaf = name.substring(name.lastIndexOf('.') + 1);
    float[] v = new float[n];
    long fanIn = shape.length <= 1 ? 1 : s.size() / shape[0];
    for (int i = 0; i < n; i++) {
      double g = r.nextGaussian();
      if (leaf.equals("scale")) {
        v[i] = (float) (0.1 + 0.4 * r.nextDouble());
      } else if (leaf.equals("alpha") || (name.contains("norm") && leaf.equals("weight"))) {
        v[i] = (float) (1 + 0.1 * g);
      } else if (leaf.equals("bias")) {
        v[i] = (float) (0.1 * g);
      } else {
        v[i] = (float) (g / Math.sqrt(fanIn));
      }
    }
    if (values.put(name, v) != null) {
      throw new IllegalStateException("requested twice: " + name);
    }
    return manager.create(v, s);
  }

  @Override
  public NDManager manager() {
    return manager;
  }

  float[] values(String name) {
    float[] v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException("no parameter " + name + " among " + values.keySet());
    }
    return v;
  }
}
