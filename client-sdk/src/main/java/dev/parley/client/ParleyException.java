package dev.parley.client;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;

/**
 * A failed call to a Parley server: the gRPC status code (e.g. {@code UNAUTHENTICATED}, {@code
 * RESOURCE_EXHAUSTED}, {@code UNIMPLEMENTED}) and the server's description of why.
 *
 * <p>Failures detected on the client (a full send buffer, a wait that timed out) use the status
 * code that describes them best and say in the description that they are local.
 */
public class ParleyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String code;
  private final String description;

  /**
   * @param code a gRPC status code name, e.g. {@code "INVALID_ARGUMENT"}
   * @param description what went wrong, as the server or the SDK said it
   */
  public ParleyException(String code, String description) {
    this(code, description, null);
  }

  public ParleyException(String code, String description, Throwable cause) {
    super(code + ": " + description, cause);
    this.code = code;
    this.description = description;
  }

  /** The gRPC status code name, e.g. {@code "UNIMPLEMENTED"}. */
  public String code() {
    return code;
  }

  /** The status description: the server's message, or the SDK's for local failures. */
  public String description() {
    return description;
  }

  /** Wraps any failure of a call; gRPC statuses keep their code and description. */
  public static ParleyException from(Throwable t) {
    if (t instanceof ParleyException p) {
      return p;
    }
    Status status = null;
    if (t instanceof StatusRuntimeException e) {
      status = e.getStatus();
    } else if (t instanceof StatusException e) {
      status = e.getStatus();
    }
    if (status == null) {
      status = Status.fromThrowable(t);
    }
    String description = status.getDescription();
    if (description == null || description.isEmpty()) {
      description =
          status.getCause() != null
              ? String.valueOf(status.getCause())
              : "(no description from the server)";
    }
    return new ParleyException(status.getCode().name(), description, t);
  }
}
