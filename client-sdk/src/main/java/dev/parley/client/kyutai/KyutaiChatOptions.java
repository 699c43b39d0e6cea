package dev.parley.client.kyutai;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Connection settings for {@link KyutaiChatClient}: sampling as the query parameters Kyutai's web
 * client sends ({@code text_temperature}, {@code text_topk}, {@code audio_temperature}, {@code
 * audio_topk}, {@code text_seed}, {@code audio_seed}), authentication, timeouts. Servers ignore
 * parameters they do not know (Kyutai's Python server ignores them all).
 */
public final class KyutaiChatOptions {
  private final Map<String, String> query; // in the order they were set, for readable URLs
  private final String apiKey;
  private final Duration connectTimeout;
  private final Duration handshakeTimeout;
  private final long maxBufferedBytes;
  private final int maxMessageBytes;

  private KyutaiChatOptions(Builder b) {
    this.query = Collections.unmodifiableMap(new LinkedHashMap<>(b.query));
    this.apiKey = b.apiKey;
    this.connectTimeout = b.connectTimeout;
    this.handshakeTimeout = b.handshakeTimeout;
    this.maxBufferedBytes = b.maxBufferedBytes;
    this.maxMessageBytes = b.maxMessageBytes;
  }

  public static Builder builder() {
    return new Builder();
  }

  public static KyutaiChatOptions defaults() {
    return builder().build();
  }

  /** {@code base} with the query parameters appended to any it already has. */
  public URI chatUri(URI base) {
    StringBuilder q = new StringBuilder(base.getRawQuery() == null ? "" : base.getRawQuery());
    for (Map.Entry<String, String> e : query.entrySet()) {
      if (q.length() > 0) {
        q.append('&');
      }
      q.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8))
          .append('=')
          .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
    }
    String s = base.toString();
    int cut = s.indexOf('?');
    String head = cut < 0 ? s : s.substring(0, cut);
    return URI.create(q.length() == 0 ? head : head + "?" + q);
  }

  /** The query parameters, unencoded. */
  public Map<String, String> queryParameters() {
    return query;
  }

  /**
   * Sent as {@code Authorization: Bearer <key>} and {@code kyutai-api-key: <key>}; null for none.
   */
  public String apiKey() {
    return apiKey;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration handshakeTimeout() {
    return handshakeTimeout;
  }

  public long maxBufferedBytes() {
    return maxBufferedBytes;
  }

  public int maxMessageBytes() {
    return maxMessageBytes;
  }

  /** Builds {@link KyutaiChatOptions}. */
  public static final class Builder {
    private final LinkedHashMap<String, String> query = new LinkedHashMap<>();
    private String apiKey;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration handshakeTimeout = Duration.ofSeconds(30);
    private long maxBufferedBytes = 1 << 20;
    private int maxMessageBytes = 1 << 20;

    private Builder() {}

    public Builder textTemperature(float t) {
      return param("text_temperature", number(t));
    }

    public Builder textTopK(int k) {
      return param("text_topk", Integer.toString(k));
    }

    public Builder audioTemperature(float t) {
      return param("audio_temperature", number(t));
    }

    public Builder audioTopK(int k) {
      return param("audio_topk", Integer.toString(k));
    }

    public Builder textSeed(long seed) {
      return param("text_seed", Long.toString(seed));
    }

    /** A role prompt ({@code text_prompt}; PersonaPlex models). */
    public Builder textPrompt(String text) {
      return param("text_prompt", text);
    }

    /** One of the server's voice prompts by name ({@code voice_prompt}; PersonaPlex models). */
    public Builder voicePrompt(String name) {
      return param("voice_prompt", name);
    }

    public Builder audioSeed(long seed) {
      return param("audio_seed", Long.toString(seed));
    }

    /** Both seeds at once. */
    public Builder seed(long seed) {
      return textSeed(seed).audioSeed(seed);
    }

    /** Kyutai's moshi-server takes the key as the {@code auth_id} query parameter. */
    public Builder authId(String id) {
      return param("auth_id", id);
    }

    /** Any other query parameter. */
    public Builder param(String name, String value) {
      query.put(name, value);
      return this;
    }

    public Builder apiKey(String key) {
      this.apiKey = key == null || key.isBlank() ? null : key;
      return this;
    }

    public Builder connectTimeout(Duration d) {
      this.connectTimeout = d;
      return this;
    }

    /** How long to wait for the server's handshake (a busy server may hold it back). */
    public Builder handshakeTimeout(Duration d) {
      this.handshakeTimeout = d;
      return this;
    }

    /** Most Ogg bytes waiting to be sent before {@code sendPcm} refuses more. */
    public Builder maxBufferedBytes(long bytes) {
      this.maxBufferedBytes = bytes;
      return this;
    }

    /** Largest incoming message accepted. */
    public Builder maxMessageBytes(int bytes) {
      this.maxMessageBytes = bytes;
      return this;
    }

    public KyutaiChatOptions build() {
      return new KyutaiChatOptions(this);
    }

    private static String number(float f) {
      return String.format(Locale.ROOT, "%s", f);
    }
  }
}
