package dev.parley.server.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Where the Hugging Face hub and its cache are, read from the same variables and with the same
 * precedence as Python's {@code huggingface_hub}, so that Parley and Python share one cache.
 *
 * @param cacheDir the hub cache root ({@code .../huggingface/hub})
 * @param endpoint the hub, without a trailing slash
 * @param token the access token, if any (sent as {@code Authorization: Bearer})
 * @param offline true when {@code HF_HUB_OFFLINE} forbids every network call
 */
public record HubSettings(Path cacheDir, URI endpoint, Optional<String> token, boolean offline) {
  public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");
  private static final Set<String> TRUE_VALUES = Set.of("1", "ON", "YES", "TRUE");

  public HubSettings {
    String e = endpoint.toString();
    if (e.endsWith("/")) {
      endpoint = URI.create(e.replaceAll("/+$", ""));
    }
  }

  public static HubSettings fromEnvironment(Environment env) {
    Path hfHome = hfHome(env);
    return new HubSettings(cacheDir(env, hfHome), endpoint(env), token(env, hfHome), offline(env));
  }

  /**
   * {@code $HF_HOME}, else {@code $XDG_CACHE_HOME/huggingface}, else {@code ~/.cache/huggingface}.
   */
  static Path hfHome(Environment env) {
    return env.find("HF_HOME")
        .map(env::expandUser)
        .orElseGet(
            () ->
                env.find("XDG_CACHE_HOME")
                    .map(env::expandUser)
                    .orElseGet(() -> env.home().resolve(".cache"))
                    .resolve("huggingface"));
  }

  /**
   * {@code $HF_HUB_CACHE}, else the legacy {@code $HUGGINGFACE_HUB_CACHE}, else {@code
   * HF_HOME/hub}.
   */
  static Path cacheDir(Environment env, Path hfHome) {
    return env.find("HF_HUB_CACHE")
        .or(() -> env.find("HUGGINGFACE_HUB_CACHE"))
        .map(env::expandUser)
        .orElseGet(() -> hfHome.resolve("hub"));
  }

  static URI endpoint(Environment env) {
    return env.find("HF_ENDPOINT").map(URI::create).orElse(DEFAULT_ENDPOINT);
  }

  /**
   * {@code $HF_TOKEN} (or the legacy {@code $HUGGING_FACE_HUB_TOKEN}), else the file that {@code
   * huggingface-cli login} writes: {@code $HF_TOKEN_PATH}, default {@code HF_HOME/token}.
   */
  static Optional<String> token(Environment env, Path hfHome) {
    Optional<String> fromEnv = env.find("HF_TOKEN").or(() -> env.find("HUGGING_FACE_HUB_TOKEN"));
    if (fromEnv.isPresent()) {
      return fromEnv;
    }
    Path file =
        env.find("HF_TOKEN_PATH").map(env::expandUser).orElseGet(() -> hfHome.resolve("token"));
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      String t = Files.readString(file, StandardCharsets.UTF_8).trim();
      return t.isEmpty() ? Optional.empty() : Optional.of(t);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the Hugging Face token file " + file, e);
    }
  }

  /** {@code HF_HUB_OFFLINE} (or {@code TRANSFORMERS_OFFLINE}) is 1, ON, YES or TRUE. */
  static boolean offline(Environment env) {
    return env.find("HF_HUB_OFFLINE")
        .or(() -> env.find("TRANSFORMERS_OFFLINE"))
        .map(v -> TRUE_VALUES.contains(v.toUpperCase(Locale.ROOT)))
        .orElse(false);
  }

  public HubSettings withOffline(boolean offline) {
    return new HubSettings(cacheDir, endpoint, token, offline);
  }
}
