package dev.parley.server.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

/** Test-side digests, computed independently of the code under test. */
final class Digests {
  private Digests() {}

  static String sha256(byte[] data) {
    return hex("SHA-256", data);
  }

  /**
   * The id git gives a file's content: sha1 of "blob {length}\0{content}" (the hub's ETag for small
   * files).
   */
  static String gitBlobSha1(byte[] data) {
    byte[] header = ("blob " + data.length + "\0").getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[header.length + data.length];
    System.arraycopy(header, 0, all, 0, header.length);
    System.arraycopy(data, 0, all, header.length, data.length);
    return hex("SHA-1", all);
  }

  /** A made-up commit hash, fixed by its seed. */
  static String commit(String seed) {
    return hex("SHA-1", seed.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static String hex(String algorithm, byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
