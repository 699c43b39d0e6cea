package dev.parley.server.config;

import dev.parley.server.lm.SamplingParams;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything {@code serve} configures. Build one with {@link #builder()}; the {@code with…} methods
 * return a changed copy.
 *
 * @param grpcPort port of the gRPC API; 0 picks a free one, -1 turns gRPC off
 * @param maxMessageBytes largest WebSocket or gRPC message accepted (an Ogg page is at most 64 KiB)
 * @param maxQueuedFrames input frames a session may have waiting before it is closed as too fast
 * @param idleTimeout a connection that sends nothing for this long is closed
 * @param httpLimits what a connection may cost before its request is admitted
 * @param drainTime how long running sessions may continue once a drain (SIGTERM) begins
 */
public record ServerConfig(
    String host,
    int port,
    int grpcPort,
    int maxSessions,
    int maxMessageBytes,
    int maxQueuedFrames,
    Duration idleTimeout,
    Duration drainTime,
    SamplingParams textSampling,
    SamplingParams audioSampling,
    Path staticDir,
    Path tlsCert,
    Path tlsKey,
    ApiKeys apiKeys,
    HttpLimits httpLimits) {

  public static final int DEFAULT_PORT = 8998;
  public static final int DEFAULT_GRPC_PORT = 9998;

  public static ServerConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.host = host;
    b.port = port;
    b.grpcPort = grpcPort;
    b.maxSessions = maxSessions;
    b.maxMessageBytes = maxMessageBytes;
    b.maxQueuedFrames = maxQueuedFrames;
    b.idleTimeout = idleTimeout;
    b.drainTime = drainTime;
    b.textSampling = textSampling;
    b.audioSampling = audioSampling;
    b.staticDir = staticDir;
    b.tlsCert = tlsCert;
    b.tlsKey = tlsKey;
    b.apiKeys = apiKeys;
    b.httpLimits = httpLimits;
    return b;
  }

  public ServerConfig withPort(int p) {
    return toBuilder().port(p).build();
  }

  /** The gRPC port; 0 picks a free one, -1 turns gRPC off. */
  public ServerConfig withGrpcPort(int p) {
    return toBuilder().grpcPort(p).build();
  }

  public ServerConfig withHost(String h) {
    return toBuilder().host(h).build();
  }

  public ServerConfig withMaxSessions(int n) {
    return toBuilder().maxSessions(n).build();
  }

  public ServerConfig withApiKeys(ApiKeys keys) {
    return toBuilder().apiKeys(keys).build();
  }

  public ServerConfig withSampling(SamplingParams text, SamplingParams audio) {
    return toBuilder().textSampling(text).audioSampling(audio).build();
  }

  public ServerConfig withStatic(Path dir) {
    return toBuilder().staticDir(dir).build();
  }

  public ServerConfig withTls(Path cert, Path key) {
    return toBuilder().tls(cert, key).build();
  }

  public ServerConfig withDrainTime(Duration drain) {
    return toBuilder().drainTime(drain).build();
  }

  public ServerConfig withHttpLimits(HttpLimits limits) {
    return toBuilder().httpLimits(limits).build();
  }

  public ServerConfig withLimits(int messageBytes, int queuedFrames, Duration idle) {
    return toBuilder()
        .maxMessageBytes(messageBytes)
        .maxQueuedFrames(queuedFrames)
        .idleTimeout(idle)
        .build();
  }

  /** Defaults: all interfaces, ports 8998 (HTTP/WebSocket) and 9998 (gRPC), 16 sessions, open. */
  public static final class Builder {
    private String host = "0.0.0.0";
    private int port = DEFAULT_PORT;
    private int grpcPort = DEFAULT_GRPC_PORT;
    private int maxSessions = 16;
    private int maxMessageBytes = 1 << 20;
    private int maxQueuedFrames = 25;
    private Duration idleTimeout = Duration.ofSeconds(30);
    private Duration drainTime = Duration.ofSeconds(10);
    private SamplingParams textSampling = SamplingParams.DEFAULT_TEXT;
    private SamplingParams audioSampling = SamplingParams.DEFAULT_AUDIO;
    private Path staticDir;
    private Path tlsCert;
    private Path tlsKey;
    private ApiKeys apiKeys = ApiKeys.open();
    private HttpLimits httpLimits = HttpLimits.defaults();

    private Builder() {}

    public Builder host(String v) {
      host = v;
      return this;
    }

    public Builder port(int v) {
      port = v;
      return this;
    }

    public Builder grpcPort(int v) {
      grpcPort = v;
      return this;
    }

    public Builder maxSessions(int v) {
      maxSessions = v;
      return this;
    }

    public Builder maxMessageBytes(int v) {
      maxMessageBytes = v;
      return this;
    }

    public Builder maxQueuedFrames(int v) {
      maxQueuedFrames = v;
      return this;
    }

    public Builder idleTimeout(Duration v) {
      idleTimeout = v;
      return this;
    }

    public Builder drainTime(Duration v) {
      drainTime = v;
      return this;
    }

    public Builder textSampling(SamplingParams v) {
      textSampling = v;
      return this;
    }

    public Builder audioSampling(SamplingParams v) {
      audioSampling = v;
      return this;
    }

    public Builder staticDir(Path v) {
      staticDir = v;
      return this;
    }

    public Builder tls(Path cert, Path key) {
      tlsCert = cert;
      tlsKey = key;
      return this;
    }

    public Builder apiKeys(ApiKeys v) {
      apiKeys = v;
      return this;
    }

    public Builder httpLimits(HttpLimits v) {
      httpLimits = v;
      return this;
    }

    public ServerConfig build() {
      return new ServerConfig(
          host,
          port,
          grpcPort,
          maxSessions,
          maxMessageBytes,
          maxQueuedFrames,
          idleTimeout,
          drainTime,
          textSampling,
          audioSampling,
          staticDir,
          tlsCert,
          tlsKey,
          apiKeys,
          httpLimits);
    }
  }
}
