package dev.parley.server.model;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * What a user passed as {@code --model}: a local directory, a Hugging Face repository (with an
 * optional {@code @revision}), or a built-in model: {@code demo} (dialogue) or {@code demo-stt}
 * (transcription). Parsing only classifies the text; {@link ModelResolver} finds the files.
 */
public sealed interface ModelReference {

  /** The forms {@code --model} accepts, for error messages. */
  String ACCEPTED_FORMS =
      "a local directory holding the model files (e.g. --model /path/to/dir), "
          + "a Hugging Face repo id with an optional revision (e.g. --model kyutai/moshiko-pytorch-bf16 "
          + "or kyutai/moshiko-pytorch-bf16@main), or --model demo (dialogue) or --model demo-stt (transcription), "
          + "the built-in models";

  /** Model files in a directory on this machine. */
  record LocalDirectory(Path directory) implements ModelReference {
    @Override
    public String toString() {
      return directory.toString();
    }
  }

  /** A model repository on the Hugging Face hub at a branch, tag or commit. */
  record HubRepository(String repoId, String revision) implements ModelReference {
    public static final String DEFAULT_REVISION = "main";
    // The hub's rule (huggingface_hub validate_repo_id): word characters, '-' and '.', starting
    // and ending with a word character, at most 96 characters, no "--" or "..".
    private static final Pattern NAME = Pattern.compile("\\w(?:[\\w.-]{0,94}\\w)?");

    public HubRepository {
      if (!isRepoId(repoId)) {
        throw new IllegalArgumentException("not a Hugging Face repo id (owner/name): " + repoId);
      }
      if (!isRevision(revision)) {
        throw new IllegalArgumentException("not a valid revision: '" + revision + "'");
      }
    }

    public HubRepository(String repoId) {
      this(repoId, DEFAULT_REVISION);
    }

    public static boolean isRepoId(String s) {
      String[] parts = s.split("/", -1);
      return parts.length == 2 && validName(parts[0]) && validName(parts[1]);
    }

    private static boolean validName(String s) {
      return NAME.matcher(s).matches()
          && !s.contains("--")
          && !s.contains("..")
          && !s.endsWith(".git");
    }

    /**
     * A branch, tag or commit: it becomes the path {@code refs/<revision>}, so no '..' or empty
     * segments.
     */
    static boolean isRevision(String s) {
      if (s.isEmpty()
          || s.chars().anyMatch(c -> Character.isWhitespace(c) || c == '\\' || c < 0x20)) {
        return false;
      }
      for (String seg : s.split("/", -1)) {
        if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
          return false;
        }
      }
      return true;
    }

    @Override
    public String toString() {
      return repoId + "@" + revision;
    }
  }

  /**
   * A tiny in-memory model that needs no files: {@link #NAME} (the dialogue demo) or {@link
   * #STT_NAME} (the transcription demo).
   */
  record Demo(String name) implements ModelReference {
    public static final String NAME = "demo";
    public static final String STT_NAME = "demo-stt";

    public Demo {
      if (!isDemoName(name)) {
        throw new IllegalArgumentException(
            "not a built-in model: " + name + " (expected " + NAME + " or " + STT_NAME + ")");
      }
    }

    /** The dialogue demo. */
    public Demo() {
      this(NAME);
    }

    /** The transcription demo. */
    public static Demo stt() {
      return new Demo(STT_NAME);
    }

    /** Whether {@code name} names a built-in model. */
    public static boolean isDemoName(String name) {
      return NAME.equals(name) || STT_NAME.equals(name);
    }

    /** Whether this is the transcription demo. */
    public boolean isStt() {
      return name.equals(STT_NAME);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * Classifies {@code text}. The literals {@code demo} and {@code demo-stt} always mean the
   * built-in models (write {@code ./demo} for a directory of that name); an existing directory wins
   * over a repo id of the same spelling.
   */
  static ModelReference parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("--model is empty: expected " + ACCEPTED_FORMS);
    }
    String s = text.strip();
    if (Demo.isDemoName(s)) {
      return new Demo(s);
    }
    Path path = asPath(s);
    if (path != null && Files.isDirectory(path)) {
      return new LocalDirectory(path.toAbsolutePath().normalize());
    }
    if (path != null && Files.exists(path)) {
      throw new IllegalArgumentException(
          "--model "
              + s
              + " is a file, not a directory: pass the directory "
              + "that holds the model files, or "
              + ACCEPTED_FORMS);
    }
    if (!looksLikePath(s)) {
      int at = s.indexOf('@');
      String repo = at < 0 ? s : s.substring(0, at);
      String revision = at < 0 ? HubRepository.DEFAULT_REVISION : s.substring(at + 1);
      if (HubRepository.isRepoId(repo) && HubRepository.isRevision(revision)) {
        return new HubRepository(repo, revision);
      }
      if (HubRepository.isRepoId(repo)) {
        throw new IllegalArgumentException(
            "--model "
                + s
                + ": '"
                + revision
                + "' is not a valid revision "
                + "(a branch, tag or commit hash after '@')");
      }
    }
    if (looksLikePath(s) || s.contains("/")) {
      throw new IllegalArgumentException(
          "--model "
              + s
              + ": no such directory, and not a Hugging Face repo id. "
              + "Expected "
              + ACCEPTED_FORMS);
    }
    throw new IllegalArgumentException(
        "--model " + s + " is not a model: expected " + ACCEPTED_FORMS);
  }

  private static boolean looksLikePath(String s) {
    return s.startsWith("/")
        || s.startsWith("./")
        || s.startsWith("../")
        || s.startsWith("~")
        || s.equals(".")
        || s.equals("..")
        || s.contains("\\");
  }

  private static Path asPath(String s) {
    try {
      if (s.equals("~") || s.startsWith("~/")) {
        return Path.of(System.getProperty("user.home") + s.substring(1));
      }
      return Path.of(s);
    } catch (InvalidPathException e) {
      return null;
    }
  }
}
