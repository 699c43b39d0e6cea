package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Records the name and shape of every parameter a model asks for, without allocating them: each one
 * is a broadcast view of a single zero, so even a 7B configuration "constructs" in milliseconds.
 * Used to check a configuration against a checkpoint manifest.
 */
public final class ShapeRecorder implements Parameters {
  private final NDManager manager;
  private final NDArray zero;
  private final Map<String, long[]> shapes = new LinkedHashMap<>();

  public ShapeRecorder(NDManager manager) {
    this.manager = manager;
    this.zero = manager.zeros(new Shape(1));
  }

  @Override
  public NDArray get(String name, long... shape) {
    if (shapes.put(name, shape.clone()) != null) {
      throw new IllegalStateException("parameter requested twice: " + name);
    }
    return zero.broadcast(new Shape(shape));
  }

  @Override
  public boolean materialized() {
    return false;
  }

  @Override
  public NDManager manager() {
    return manager;
  }

  /** Every recorded parameter, in request order. */
  public Map<String, long[]> shapes() {
    return Collections.unmodifiableMap(shapes);
  }
}
