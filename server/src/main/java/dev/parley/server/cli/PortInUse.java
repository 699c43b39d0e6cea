package dev.parley.server.cli;

import java.net.BindException;

/**
 * Turns a failed bind into the message a user can act on: which port, and which option moves it.
 */
final class PortInUse {
  private PortInUse() {}

  /**
   * The explanation when {@code e} (from starting the server) is a port already taken; else {@code
   * e} itself. The gRPC server binds second, so a bind failure raised from it is gRPC's.
   */
  static Exception explain(Exception e, String host, int port, int grpcPort) {
    if (!causedByBind(e)) {
      return e;
    }
    boolean grpc = grpcPort >= 0 && raisedBy(e, "GrpcServer");
    String which =
        grpc
            ? "gRPC port " + grpcPort + " on " + host
            : "HTTP/WebSocket port " + port + " on " + host;
    String fix =
        grpc
            ? "choose another with --grpc-port N, or turn gRPC off with --grpc-port -1"
            : "choose another with --port N";
    return new IllegalStateException(
        which + " is already in use (another Parley server is running?): " + fix, e);
  }

  private static boolean causedByBind(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException
          || String.valueOf(t.getMessage()).contains("Address already in use")) {
        return true;
      }
    }
    return false;
  }

  private static boolean raisedBy(Throwable e, String className) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      for (StackTraceElement s : t.getStackTrace()) {
        if (s.getClassName().endsWith("." + className)) {
          return true;
        }
      }
    }
    return false;
  }
}
