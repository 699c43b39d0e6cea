package dev.parley.server.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** A tensor named on the command line as {@code FILE} or {@code FILE:KEY}. */
record TensorRef(Path file, String key) {
  static TensorRef parse(String arg, String defaultKey) {
    int colon = arg.lastIndexOf(':');
    // A colon inside an existing path (or a drive letter) is part of the file name.
    if (colon <= 1 || Files.exists(Path.of(arg))) {
      return new TensorRef(Path.of(arg), defaultKey);
    }
    return new TensorRef(Path.of(arg.substring(0, colon)), arg.substring(colon + 1));
  }
}
