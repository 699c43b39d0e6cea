package dev.parley.server.http;

import dev.parley.server.lm.SamplingParams;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything {@code serve} configures.
 *
 * @param maxMessageBytes largest WebSocket message accepted (an Ogg page is at most 64 KiB)
 * @param maxQueuedFrames input frames a session may have waiting before it is closed as too fast
 * @param idleTimeout a connection that sends nothing for this long is closed
 * @param shutdownGrace how long running sessions may continue after shutdown begins
 */
public record ServerConfig(
    String host,
    int port,
    int maxSessions,
    int maxMessageBytes,
    int maxQueuedFrames,
    Duration idleTimeout,
    Duration shutdownGrace,
    SamplingParams textSampling,
    SamplingParams audioSampling,
    Path staticDir,
    Path tlsCert,
    Path tlsKey,
    ApiKeys apiKeys) {

  public static ServerConfig defaults() {
    return new ServerConfig("0.0.0.0", 8998, 16, 1 << 20, 25, Duration.ofSeconds(30), Duration.ofSeconds(10),
        new SamplingParams(0.7, 25, 0), new SamplingParams(0.8, 250, 0), null, null, null, ApiKeys.open());
  }

  public ServerConfig withPort(int p) {
    return new ServerConfig(host, p, maxSessions, maxMessageBytes, maxQueuedFrames, idleTimeout, shutdownGrace,
        textSampling, audioSampling, staticDir, tlsCert, tlsKey, apiKeys);
  }

  public ServerConfig withHost(String h) {
    return new ServerConfig(h, port, maxSessions, maxMessageBytes, maxQueuedFrames, idleTimeout, shutdownGrace,
        textSampling, audioSampling, staticDir, tlsCert, tlsKey, apiKeys);
  }

  public ServerConfig withMaxSessions(int n) {
    return new ServerConfig(host, port, n, maxMessageBytes, maxQueuedFrames, idleTimeout, shutdownGrace,
        textSampling, audioSampling, staticDir, tlsCert, tlsKey, apiKeys);
  }

  public ServerConfig withApiKeys(ApiKeys keys) {
    return new ServerConfig(host, port, maxSessions, maxMessageBytes, maxQueuedFrames, idleTimeout, shutdownGrace,
        textSampling, audioSampling, staticDir, tlsCert, tlsKey, keys);
  }

  public ServerConfig withSampling(SamplingParams text, SamplingParams audio) {
    return new ServerConfig(host, port, maxSessions, maxMessageBytes, maxQueuedFrames, idleTimeout, shutdownGrace,
        text, audio, staticDir, tlsCert, tlsKey, apiKeys);
  }

  public ServerConfig withStatic(Path dir) {
    return new ServerConfig(host, port, maxSessions, maxMessageBytes, maxQueuedFrames, idleTimeout, shutdownGrace,
        textSampling, audioSampling, dir, tlsCert, tlsKey, apiKeys);
  }

  public ServerConfig withTls(Path cert, Path key) {
    return new ServerConfig(host, port, maxSessions, maxMessageBytes, maxQueuedFrames, idleTimeout, shutdownGrace,
        textSampling, audioSampling, staticDir, cert, key, apiKeys);
  }

  public ServerConfig withShutdownGrace(Duration grace) {
    return new ServerConfig(host, port, maxSessions, maxMessageBytes, maxQueuedFrames, idleTimeout, grace,
        textSampling, audioSampling, staticDir, tlsCert, tlsKey, apiKeys);
  }

  public ServerConfig withLimits(int messageBytes, int queuedFrames, Duration idle) {
    return new ServerConfig(host, port, maxSessions, messageBytes, queuedFrames, idle, shutdownGrace, textSampling,
        audioSampling, staticDir, tlsCert, tlsKey, apiKeys);
  }
}
