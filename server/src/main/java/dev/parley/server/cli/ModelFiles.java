package dev.parley.server.cli;

import dev.parley.server.model.ConsoleProgress;
import dev.parley.server.model.Environment;
import dev.parley.server.model.ModelReference;
import dev.parley.server.model.ModelResolver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/** One file of a Hugging Face repo, through the shared resolver (cache first, then download). */
final class ModelFiles {
  private ModelFiles() {}

  static Path fromHub(String repo, String file) {
    ModelReference ref = ModelReference.parse(repo);
    if (!(ref instanceof ModelReference.HubRepository)) {
      throw new IllegalArgumentException(repo + " is neither a file nor a Hugging Face repo id");
    }
    try {
      return resolver().resolve(ref, List.of(file)).file(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  static ModelResolver resolver() {
    return ModelResolver.fromEnvironment(Environment.system(), ConsoleProgress.stderr());
  }
}
