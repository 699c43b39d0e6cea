package dev.parley.server.model;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The environment variables model resolution reads. An interface rather than {@link System#getenv}
 * so that tests (and embedders) can hand in their own values without touching the process.
 */
@FunctionalInterface
public interface Environment {

  /** The raw value of {@code name}, or null when unset. */
  String get(String name);

  /** The value of {@code name} when it is set and not blank. */
  default Optional<String> find(String name) {
    String v = get(name);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
  }

  /**
   * The user's home: {@code $HOME} (what Python's {@code expanduser} uses), else {@code user.home}.
   */
  default Path home() {
    return Path.of(find("HOME").orElseGet(() -> System.getProperty("user.home")));
  }

  /** Expands a leading {@code ~} the way huggingface_hub does for its path variables. */
  default Path expandUser(String path) {
    if (path.equals("~")) {
      return home();
    }
    if (path.startsWith("~/")) {
      return home().resolve(path.substring(2));
    }
    return Path.of(path);
  }

  static Environment system() {
    return System::getenv;
  }

  static Environment of(Map<String, String> values) {
    Map<String, String> copy = Map.copyOf(values);
    return copy::get;
  }
}
