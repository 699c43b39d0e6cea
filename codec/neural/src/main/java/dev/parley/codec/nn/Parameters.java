package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Where a model's constructor gets its weights. A module asks for each parameter by its exact
 * checkpoint name and expected shape; the source decides whether it comes from a checkpoint, from a
 * seeded random draw, or is only recorded (to list a configuration's parameters without allocating
 * them).
 */
public interface Parameters {

  /** The parameter {@code name} (checkpoint key), which must have {@code shape}. */
  NDArray get(String name, long... shape);

  /** The manager that owns the returned arrays (weights live as long as the model). */
  NDManager manager();

  /** Whether the source holds {@code name}; used for optional parameters such as legacy aliases. */
  default boolean has(String name) {
    return true;
  }

  /**
   * Whether returned arrays hold real values worth deriving from (false for {@link ShapeRecorder},
   * whose arrays are zero-stride views: models skip derived tables then).
   */
  default boolean materialized() {
    return true;
  }

  /** A view that prepends {@code prefix} to every name. */
  default Parameters prefixed(String prefix) {
    Parameters outer = this;
    return new Parameters() {
      @Override
      public NDArray get(String name, long... shape) {
        return outer.get(prefix + name, shape);
      }

      @Override
      public NDManager manager() {
        return outer.manager();
      }

      @Override
      public boolean has(String name) {
        return outer.has(prefix + name);
      }

      @Override
      public boolean materialized() {
        return outer.materialized();
      }

      @Override
      public Parameters prefixed(String more) {
        return outer.prefixed(prefix + more);
      }
    };
  }
}
