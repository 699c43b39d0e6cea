package dev.parley.server.grpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/**
 * The response side of a streaming call. The observer is not thread-safe and events come from the
 * engine thread and gRPC's threads, so every use runs on one serial executor; messages wait in a
 * bounded queue while the client is not ready (HTTP/2 flow control), and a client that stops
 * reading is failed with RESOURCE_EXHAUSTED rather than buffered without limit.
 */
final class ResponseStream<T> {
  private final ServerCallStreamObserver<T> out;
  private final SerialExecutor serial;
  private final int maxUnsent;
  private final ArrayDeque<T> unsent = new ArrayDeque<>();
  private final Runnable onEnd;
  private volatile boolean ended;
  // Whether everything went out and the transport wants more: read by an engine deciding whether
  // to produce the next frame (output back-pressure), from any thread.
  private volatile boolean writable = true;
  private volatile Runnable onWritable = () -> {};

  /**
   * @param maxUnsent messages held for a client that is not ready before it is failed
   * @param onEnd runs once, on the serial executor, when the stream ends in any way (free the
   *     session)
   */
  ResponseStream(ServerCallStreamObserver<T> out, Executor pool, int maxUnsent, Runnable onEnd) {
    this.out = out;
    this.serial = new SerialExecutor(pool);
    this.maxUnsent = maxUnsent;
    this.onEnd = onEnd;
    out.setOnReadyHandler(
        () ->
            serial.execute(
                () -> {
                  drain();
                  if (writable && !ended) {
                    onWritable.run();
                  }
                }));
  }

  /** Runs (on the serial executor) each time the client becomes ready for more output. */
  void onWritable(Runnable r) {
    onWritable = r;
  }

  /** Nothing waits in the queue and the transport takes more (any thread; a snapshot). */
  boolean isWritable() {
    return writable && !ended;
  }

  /** Runs {@code task} after every task submitted before it, never two at once. */
  void execute(Runnable task) {
    serial.execute(task);
  }

  /** Completed, failed or cancelled: nothing more goes out. */
  boolean isEnded() {
    return ended;
  }

  /** The client cancelled (or its deadline passed): stop sending, from any thread. */
  void cancelled() {
    ended = true;
  }

  /** Queues a message (serial executor only; dropped once the stream has ended). */
  void send(T message) {
    if (ended) {
      return;
    }
    unsent.add(message);
    drain();
    if (unsent.size() > maxUnsent) {
      end(
          Status.RESOURCE_EXHAUSTED.withDescription(
              "client is not reading: " + maxUnsent + " messages of output waiting"));
    }
  }

  /**
   * Sends what is queued, whatever the client's readiness (bounded by maxUnsent), then completes.
   */
  void complete() {
    execute(
        () -> {
          if (ended) {
            return;
          }
          ended = true;
          while (!unsent.isEmpty() && !out.isCancelled()) {
            out.onNext(unsent.poll());
          }
          onEnd.run(); // the slot is free before the client learns the call is over
          out.onCompleted();
        });
  }

  /** Fails the call with {@code status} (from any thread); queued messages are dropped. */
  void fail(Status status) {
    execute(() -> end(status));
  }

  private void end(Status status) {
    if (ended) {
      return;
    }
    ended = true;
    unsent.clear();
    onEnd.run(); // the slot is free before the client learns the call is over
    try {
      out.onError(status.asRuntimeException());
    } catch (IllegalStateException alreadyClosed) {
      // the call was cancelled concurrently
    }
  }

  private void drain() {
    while (!unsent.isEmpty() && out.isReady() && !out.isCancelled()) {
      out.onNext(unsent.poll());
    }
    writable = unsent.isEmpty() && out.isReady();
  }
}
