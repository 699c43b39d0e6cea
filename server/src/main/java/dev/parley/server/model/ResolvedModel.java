package dev.parley.server.model;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A model whose files are all on this machine.
 *
 * @param reference what the user asked for
 * @param directory the local directory or cache snapshot holding the model's own files (empty for
 *     demo)
 * @param files each requested name (as given, {@code hf://} and {@code file://} included) to its
 *     path
 */
public record ResolvedModel(
    ModelReference reference, Optional<Path> directory, Map<String, Path> files) {

  public ResolvedModel {
    files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
  }

  static ResolvedModel demo(ModelReference.Demo demo) {
    return new ResolvedModel(demo, Optional.empty(), Map.of());
  }

  public boolean isDemo() {
    return reference instanceof ModelReference.Demo;
  }

  /** The path of a file that was requested when resolving. */
  public Path file(String name) {
    Path p = files.get(name);
    if (p == null) {
      throw new IllegalArgumentException(
          isDemo()
              ? "the " + reference + " model is built in memory and has no file " + name
              : name + " was not among the files resolved for " + reference);
    }
    return p;
  }
}
