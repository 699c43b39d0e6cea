package dev.parley.server.grpc;

import dev.parley.server.config.ApiKeys;
import dev.parley.server.metrics.EngineMetrics;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * The server's API keys for gRPC: metadata {@code authorization: Bearer <key>} (or Kyutai's {@code
 * kyutai-api-key}). Health checks stay open so orchestrators can probe; reflection (which lists the
 * services) needs the key like the rest.
 */
final class ApiKeyInterceptor implements ServerInterceptor {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> KYUTAI_KEY =
      Metadata.Key.of("kyutai-api-key", Metadata.ASCII_STRING_MARSHALLER);

  private final ApiKeys keys;
  private final EngineMetrics metrics;

  ApiKeyInterceptor(ApiKeys keys, EngineMetrics metrics) {
    this.keys = keys;
    this.metrics = metrics;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String service = call.getMethodDescriptor().getServiceName();
    if (keys.isOpen() || service == null || service.startsWith("grpc.health.")) {
      return next.startCall(call, headers);
    }
    String auth = headers.get(AUTHORIZATION);
    String key =
        auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
            ? auth.substring(7)
            : headers.get(KYUTAI_KEY);
    if (keys.allowsKey(key)) {
      return next.startCall(call, headers);
    }
    metrics.rejected();
    call.close(
        Status.UNAUTHENTICATED.withDescription(
            key == null
                ? "an API key is required: send metadata 'authorization: Bearer <key>'"
                : "the API key is not valid"),
        new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
