package dev.parley.server.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where {@code --mimi} points: a local safetensors file or a Hugging Face repo holding Kyutai's
 * Mimi.
 */
final class MimiSource {
  static final String DEFAULT_REPO = "kyutai/moshiko-pytorch-bf16";
  static final String DEFAULT_FILE = "tokenizer-e351c8d8-checkpoint125.safetensors";

  private MimiSource() {}

  static Path resolve(String spec) {
    Path p = Path.of(spec);
    if (Files.isRegularFile(p)) {
      return p;
    }
    if (Files.isDirectory(p)) {
      Path f = p.resolve(DEFAULT_FILE);
      if (Files.isRegularFile(f)) {
        return f;
      }
      throw new IllegalArgumentException(p + " has no " + DEFAULT_FILE);
    }
    return ModelFiles.fromHub(spec, DEFAULT_FILE);
  }
}
