package dev.parley.server.config;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The accepted API keys (none = open server). A request may present its key as {@code
 * Authorization: Bearer <key>}, a {@code kyutai-api-key} header, or an {@code auth_id} query
 * parameter (Kyutai's conventions).
 */
public final class ApiKeys {
  private final Set<String> keys;

  public ApiKeys(Set<String> keys) {
    this.keys = Set.copyOf(keys);
  }

  public static ApiKeys open() {
    return new ApiKeys(Set.of());
  }

  /** Keys from a file (one per line, # comments) and/or a comma-separated environment value. */
  public static ApiKeys load(Path file, String fromEnvironment) throws IOException {
    Set<String> keys = new LinkedHashSet<>();
    if (file != null) {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        String k = line.strip();
        if (!k.isEmpty() && !k.startsWith("#")) {
          keys.add(k);
        }
      }
    }
    if (fromEnvironment != null) {
      for (String k : fromEnvironment.split(",")) {
        if (!k.isBlank()) {
          keys.add(k.strip());
        }
      }
    }
    return new ApiKeys(keys);
  }

  public boolean isOpen() {
    return keys.isEmpty();
  }

  public int size() {
    return keys.size();
  }

  /** Whether {@code candidate} (null when the client sent none) opens the door. */
  public boolean allowsKey(String candidate) {
    return keys.isEmpty() || (candidate != null && matches(candidate.strip()));
  }

  public boolean allows(HttpHeaders headers, QueryStringDecoder query) {
    if (keys.isEmpty()) {
      return true;
    }
    String auth = headers.get("authorization");
    if (auth != null
        && auth.regionMatches(true, 0, "Bearer ", 0, 7)
        && matches(auth.substring(7).strip())) {
      return true;
    }
    String kyutai = headers.get("kyutai-api-key");
    if (kyutai != null && matches(kyutai.strip())) {
      return true;
    }
    List<String> id = query.parameters().get("auth_id");
    return id != null && !id.isEmpty() && matches(id.get(0));
  }

  private boolean matches(String candidate) {
    boolean ok = false;
    byte[] c = candidate.getBytes(StandardCharsets.UTF_8);
    for (String k : keys) {
      ok |= MessageDigest.isEqual(c, k.getBytes(StandardCharsets.UTF_8)); // constant time per key
    }
    return ok;
  }
}
