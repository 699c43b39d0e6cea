package dev.parley.server.grpc;

import dev.parley.server.http.EdgeLog;
import java.util.logging.Logger;

/**
 * gRPC logs every failed connection (a client speaking HTTP/1.1 to the gRPC port, a bad preface)
 * with its stack trace: the edge's failures go through {@link EdgeLog} instead, once per cause and
 * then rate-limited, so a flood of bad connections never becomes a log flood.
 */
final class GrpcTransportLog {
  // java.util.logging holds loggers weakly: keep this one, or its filter is lost.
  private static final Logger CONNECTIONS =
      Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport.connections");

  private GrpcTransportLog() {}

  static void install() {
    CONNECTIONS.setFilter(
        r -> {
          if (r.getThrown() == null) {
            return true;
          }
          EdgeLog.failure("gRPC connection", r.getThrown());
          return false;
        });
  }
}
