package dev.parley.client;

import io.grpc.stub.ClientCallStreamObserver;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.ToIntFunction;

/**
 * The sending side of a client stream under gRPC flow control: messages go straight to the
 * transport while it is ready and wait in a bounded queue while it is not. A caller that keeps
 * sending faster than the server reads gets a {@link SendBufferFullException} instead of unbounded
 * memory growth; {@link #awaitDrained} lets a producer wait for room instead.
 *
 * <p>Thread-safe: producers and gRPC's on-ready callback may run on different threads, and gRPC's
 * {@code StreamObserver} itself must not be called concurrently.
 */
final class OutboundQueue<T> {
  private final ClientCallStreamObserver<T> stream;
  private final ToIntFunction<T> sizeOf;
  private final long maxQueuedBytes;
  private final ArrayDeque<T> queue = new ArrayDeque<>();
  private long queuedBytes;
  private boolean halfClosePending;
  private boolean closed;
  private boolean abandoned;

  OutboundQueue(ClientCallStreamObserver<T> stream, ToIntFunction<T> sizeOf, long maxQueuedBytes) {
    this.stream = stream;
    this.sizeOf = sizeOf;
    this.maxQueuedBytes = maxQueuedBytes;
  }

  /**
   * Sends now if the transport is ready and nothing waits, otherwise queues (bounded). After the
   * call is over the message is dropped: the call's outcome reaches its listener, not the sender.
   */
  synchronized void send(T message) {
    if (abandoned) {
      return;
    }
    if (closed || halfClosePending) {
      throw new IllegalStateException("the stream's input has already ended");
    }
    if (queue.isEmpty() && stream.isReady()) {
      stream.onNext(message);
      return;
    }
    int size = sizeOf.applyAsInt(message);
    if (queuedBytes + size > maxQueuedBytes) {
      throw new SendBufferFullException(queuedBytes, size, maxQueuedBytes);
    }
    queue.addLast(message);
    queuedBytes += size;
  }

  /** Half-closes the stream once every queued message has gone out. */
  synchronized void complete() {
    if (closed || halfClosePending) {
      return;
    }
    halfClosePending = true;
    drain();
  }

  /** Called by gRPC whenever the transport becomes ready for more. */
  synchronized void drain() {
    while (!closed && !queue.isEmpty() && stream.isReady()) {
      T message = queue.pollFirst();
      queuedBytes -= sizeOf.applyAsInt(message);
      stream.onNext(message);
    }
    if (!closed && queue.isEmpty() && halfClosePending) {
      closed = true;
      stream.onCompleted();
    }
    notifyAll();
  }

  /** The call is over (ended, failed or cancelled): drop what waits and wake waiters. */
  synchronized void abandon() {
    abandoned = true;
    closed = true;
    queue.clear();
    queuedBytes = 0;
    notifyAll();
  }

  synchronized long queuedBytes() {
    return queuedBytes;
  }

  /**
   * Waits until nothing is queued and the transport is ready for more, or the call is over.
   *
   * @return false if the timeout passed first
   */
  synchronized boolean awaitDrained(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!closed && !(queue.isEmpty() && stream.isReady())) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      // isReady() turning true without a queued message calls drain() too, which notifies.
      wait(Math.max(1, left / 1_000_000), 0);
    }
    return true;
  }
}
