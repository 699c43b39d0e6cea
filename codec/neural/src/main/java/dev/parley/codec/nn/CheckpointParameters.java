package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.tensor.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Parameters read from a safetensors checkpoint. Float tensors of any stored type (F32, F16, BF16)
 * are widened to float32 in Java and then cast to the compute type on the device. Problems are
 * collected instead of thrown one by one; {@link #verify()} reports all of them at once.
 */
public final class CheckpointParameters implements Parameters {
  private final SafeTensorsFile file;
  private final NDManager manager;
  private final DataType computeType;
  private final Map<String, String> aliases;
  private final Set<String> used = new HashSet<>();
  private final List<String> problems = new ArrayList<>();

  /**
   * @param aliases legacy checkpoint name → current name (e.g. codebook {@code embed_avg})
   */
  public CheckpointParameters(
      SafeTensorsFile file, NDManager manager, DataType computeType, Map<String, String> aliases) {
    this.file = file;
    this.manager = manager;
    this.computeType = computeType;
    this.aliases = aliases;
  }

  public CheckpointParameters(SafeTensorsFile file, NDManager manager) {
    this(file, manager, DataType.FLOAT32, Map.of());
  }

  @Override
  public NDManager manager() {
    return manager;
  }

  @Override
  public boolean has(String name) {
    return file.contains(name) || legacyName(name) != null;
  }

  private String legacyName(String name) {
    for (Map.Entry<String, String> a : aliases.entrySet()) {
      if (name.endsWith(a.getValue())) {
        String legacy = name.substring(0, name.length() - a.getValue().length()) + a.getKey();
        if (file.contains(legacy)) {
          return legacy;
        }
      }
    }
    return null;
  }

  @Override
  public NDArray get(String name, long... shape) {
    String key = file.contains(name) ? name : legacyName(name);
    if (key == null) {
      problems.add("missing: " + name + " " + Arrays.toString(shape));
      return placeholder(shape);
    }
    used.add(key);
    TensorInfo info = file.tensors().get(key);
    if (!Arrays.equals(info.shape(), shape)) {
      problems.add(
          "shape: "
              + key
              + " is "
              + info.shapeString()
              + ", model expects "
              + Arrays.toString(shape));
      return placeholder(shape);
    }
    if (!info.dtype().isFloat()) {
      problems.add("dtype: " + key + " is " + info.dtype() + ", expected a float tensor");
      return placeholder(shape);
    }
    try {
      NDArray a =
          manager.create(file.float32(key).asFloatBuffer(), new Shape(shape), DataType.FLOAT32);
      return computeType == DataType.FLOAT32 ? a : castAndClose(a);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private NDArray castAndClose(NDArray a) {
    NDArray c = a.toType(computeType, false);
    a.close();
    return c;
  }

  private NDArray placeholder(long[] shape) {
    return manager.zeros(new Shape(1), computeType).broadcast(new Shape(shape));
  }

  /**
   * Throws one {@link WeightMismatchException} listing every missing, mis-shaped and unexpected
   * key. Keys matching {@code ignorable} may stay unused (e.g. codebooks beyond the ones in use are
   * still read, so nothing is ignorable for Mimi).
   */
  public void verify(Predicate<String> ignorable) {
    List<String> all = new ArrayList<>(problems);
    Set<String> unexpected = new TreeSet<>(file.tensors().keySet());
    unexpected.removeAll(used);
    for (String k : unexpected) {
      if (!ignorable.test(k)) {
        all.add("unexpected: " + k + " " + file.tensors().get(k).shapeString());
      }
    }
    if (!all.isEmpty()) {
      throw new WeightMismatchException(file.path().toString(), all);
    }
  }

  public void verify() {
    verify(k -> false);
  }
}
