package dev.parley.server.grpc;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.server.engine.EngineFullException;
import io.grpc.Status;

/** The gRPC status a streaming call ends with, from what went wrong. */
final class CallStatus {
  private CallStatus() {}

  /** A client's request could not be taken: bad settings, undecodable audio, or a full server. */
  static Status of(Exception e) {
    if (e instanceof AudioFormatException) {
      return Status.INVALID_ARGUMENT.withDescription("undecodable audio: " + e.getMessage());
    }
    if (e instanceof EngineFullException full && full.isDraining()) {
      return Status.UNAVAILABLE.withDescription(e.getMessage()); // another replica may take it
    }
    if (e instanceof EngineFullException) {
      return Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage());
    }
    return Status.INVALID_ARGUMENT.withDescription(e.getMessage());
  }

  /** An engine closed the session with {@code reason}. */
  static Status ofClosedSession(String reason) {
    Status status =
        reason.startsWith("server shutting down")
            ? Status.UNAVAILABLE
            : reason.contains("overflow")
                    || reason.contains("overloaded")
                    || reason.contains("reached the limit")
                ? Status.RESOURCE_EXHAUSTED
                : Status.INTERNAL;
    return status.withDescription(reason);
  }
}
