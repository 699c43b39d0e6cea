package dev.parley.server.cli;

import java.nio.file.Path;

/** Resolution of Hugging Face repo files for the CLI (through the shared model resolver). */
final class ModelFiles {
  private ModelFiles() {}

  static Path fromHub(String repo, String file) {
    throw new IllegalArgumentException(repo + " is not a local file or directory (Hugging Face resolution pending)");
  }
}
