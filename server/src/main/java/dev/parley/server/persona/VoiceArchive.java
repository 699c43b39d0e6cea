package dev.parley.server.persona;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Unpacks the voices of a PersonaPlex {@code voices.tgz} (a gzip'd tar whose {@code voices/} folder
 * holds {@code NAME.wav} and {@code NAME.pt} files) into a folder, trusting nothing in the archive:
 * only regular files directly in {@code voices/} with those extensions come out (no links, devices,
 * hidden files, sub-folders or names that climb out), each and all together under a size limit. The
 * files go to a fresh folder beside the target first, which is renamed into place once complete, so
 * a crash never leaves a half-filled voice folder behind.
 */
final class VoiceArchive {
  /** The folder inside the archive that holds the voices, as the fork's archive has it. */
  static final String FOLDER = "voices";

  /**
   * Bounds on what one archive may make the server write and read.
   *
   * @param entryBytes the largest file taken; a larger one is skipped
   * @param totalBytes the most written in all; an archive past it is refused
   * @param entries the most entries read (skipped ones included); an archive past it is refused
   */
  record Limits(long entryBytes, long totalBytes, int entries) {
    /** A voice prompt is at most 30 s; 64 MiB holds that as 48 kHz stereo 64-bit float. */
    static final Limits DEFAULT = new Limits(64L << 20, 1L << 30, 10_000);
  }

  /**
   * What came out.
   *
   * @param extracted the file names written, in archive order
   * @param skipped each entry left out, with why
   */
  record Result(List<String> extracted, List<String> skipped) {}

  private VoiceArchive() {}

  /**
   * Extracts the archive's voice files into {@code target}, which must not exist yet. When the
   * archive has none, nothing is created. When another process creates {@code target} first, its
   * folder is kept and ours dropped.
   *
   * @throws IOException the archive is unreadable, or over {@link Limits#totalBytes} or {@link
   *     Limits#entries}; nothing is left behind then
   */
  static Result extract(Path archive, Path target, Limits limits) throws IOException {
    Path parent = target.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    // Not createTempDirectory: its owner-only permissions would stay on the renamed folder.
    Path tmp = Files.createDirectory(parent.resolve(".voices-" + UUID.randomUUID() + ".tmp"));
    try {
      Result r = unpack(archive, tmp, limits);
      if (r.extracted().isEmpty()) {
        deleteTree(tmp);
        return r;
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        if (!Files.isDirectory(target)) {
          throw e;
        }
        deleteTree(tmp); // another process unpacked the same archive first
      }
      return r;
    } catch (IOException | RuntimeException e) {
      try {
        deleteTree(tmp);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  private static Result unpack(Path archive, Path into, Limits limits) throws IOException {
    List<String> extracted = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    long total = 0;
    int seen = 0;
    try (InputStream file = new BufferedInputStream(Files.newInputStream(archive));
        GzipCompressorInputStream gz =
            GzipCompressorInputStream.builder()
                .setInputStream(file)
                .setDecompressConcatenated(true)
                .get();
        TarArchiveInputStream tar = new TarArchiveInputStream(gz)) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        if (++seen > limits.entries()) {
          throw new IOException(archive + " has more than " + limits.entries() + " entries");
        }
        String name = voiceFileName(e.getName());
        if (name == null) {
          if (!isVoicesFolder(e)) {
            skipped.add(e.getName() + " (not a .wav or .pt file directly in " + FOLDER + "/)");
          }
          continue;
        }
        if (!isRegularFile(e)) {
          skipped.add(e.getName() + " (not a regular file)");
          continue;
        }
        if (e.getSize() > limits.entryBytes()) {
          skipped.add(
              e.getName() + " (" + e.getSize() + " bytes, over " + limits.entryBytes() + ")");
          continue;
        }
        if (total + e.getSize() > limits.totalBytes()) {
          throw new IOException(
              archive + " holds more than " + limits.totalBytes() + " bytes of voice files");
        }
        Path out = into.resolve(name);
        if (!into.equals(out.normalize().getParent())) {
          skipped.add(e.getName() + " (not a plain file name)");
          continue;
        }
        // The tar stream ends each entry at its declared size, which was checked above.
        total += Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
        if (!extracted.contains(name)) {
          extracted.add(name);
        }
      }
    }
    return new Result(List.copyOf(extracted), List.copyOf(skipped));
  }

  /**
   * The file name of an entry directly in {@code voices/} ({@code ./} prefixes allowed) ending in
   * {@code .wav} or {@code .pt}; null for anything else.
   */
  static String voiceFileName(String entryName) {
    String n = entryName;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    if (!n.startsWith(FOLDER + "/")) {
      return null;
    }
    String file = n.substring(FOLDER.length() + 1);
    String lower = file.toLowerCase(Locale.ROOT);
    boolean plain =
        !file.isEmpty()
            && !file.startsWith(".") // hidden files, macOS "._" forks, "." and ".."
            && file.chars().noneMatch(c -> c == '/' || c == '\\' || c < 0x20 || c == 0x7f);
    return plain && (lower.endsWith(".wav") || lower.endsWith(".pt")) ? file : null;
  }

  private static boolean isVoicesFolder(TarArchiveEntry e) {
    String n = e.getName();
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    return e.isDirectory() && (n.equals(FOLDER) || n.equals(FOLDER + "/"));
  }

  /** A plain file entry: not a link, device, FIFO, sparse or contiguous file, or directory. */
  private static boolean isRegularFile(TarArchiveEntry e) {
    byte flag = e.getLinkFlag();
    return (flag == TarConstants.LF_NORMAL || flag == TarConstants.LF_OLDNORM)
        && !e.isDirectory()
        && !e.isSymbolicLink()
        && !e.isLink()
        && !e.isSparse();
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
