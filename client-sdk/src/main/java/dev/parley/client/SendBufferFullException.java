package dev.parley.client;

/**
 * More audio was sent than the transport accepted and the SDK's bounded send buffer holds: the
 * server (or the network) is slower than the producer. Code {@code RESOURCE_EXHAUSTED}.
 */
public final class SendBufferFullException extends ParleyException {
  private static final long serialVersionUID = 1L;

  SendBufferFullException(long queued, int adding, long limit) {
    super(
        "RESOURCE_EXHAUSTED",
        String.format(
            "client send buffer full: %d bytes wait for gRPC flow control, %d more would pass the %d-byte limit "
                + "(the server reads slower than audio is sent; send in real time or wait with awaitReady)",
            queued, adding, limit));
  }
}
