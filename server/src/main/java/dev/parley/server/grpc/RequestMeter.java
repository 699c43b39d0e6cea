package dev.parley.server.grpc;

import io.grpc.stub.ServerCallStreamObserver;

/**
 * Inbound flow control of a streaming call: at most one request message asked for at a time, and
 * the next only when the call has room for it, so a client sending faster than the engine consumes
 * is held back by HTTP/2 flow control.
 */
final class RequestMeter {
  private final ServerCallStreamObserver<?> call;
  private final ResponseStream<?> responses;
  private boolean outstanding;

  /** Takes over the call's inbound flow control and asks for the first message. */
  RequestMeter(ServerCallStreamObserver<?> call, ResponseStream<?> responses) {
    this.call = call;
    this.responses = responses;
    call.disableAutoRequest();
  }

  /** A message arrived. */
  synchronized void received() {
    outstanding = false;
  }

  /** Asks for the next message unless one is already asked for or the call has ended. */
  void requestNext() {
    synchronized (this) {
      if (outstanding || responses.isEnded()) {
        return;
      }
      outstanding = true;
    }
    call.request(1);
  }
}
