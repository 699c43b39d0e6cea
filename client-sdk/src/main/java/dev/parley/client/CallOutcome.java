package dev.parley.client;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * How a streaming call ends, once: its result, or a {@link ParleyException} that the call's
 * listener hears before any waiter sees it.
 *
 * @param <R> the message that ends the call normally
 */
final class CallOutcome<R> {
  private final String call; // "conversation", "transcription": for messages
  private final Consumer<ParleyException> onError;
  private final CompletableFuture<R> done = new CompletableFuture<>();
  private final AtomicBoolean finished = new AtomicBoolean();

  CallOutcome(String call, Consumer<ParleyException> onError) {
    this.call = call;
    this.onError = onError;
  }

  void succeed(R result) {
    if (finished.compareAndSet(false, true)) {
      done.complete(result);
    }
  }

  void fail(ParleyException error) {
    if (finished.compareAndSet(false, true)) {
      onError.accept(error);
      done.completeExceptionally(error);
    }
  }

  /** The server completed the call: {@code result} if its last message came, else UNKNOWN. */
  void completed(R result, String missing) {
    if (result != null) {
      succeed(result);
    } else {
      fail(new ParleyException("UNKNOWN", "the server closed the " + call + " without " + missing));
    }
  }

  /**
   * Waits for the result.
   *
   * @param awaited what did not come, for the timeout's message
   * @throws ParleyException the call's failure, or DEADLINE_EXCEEDED after {@code timeout}
   */
  R await(Duration timeout, String awaited) throws InterruptedException {
    try {
      return done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw ParleyException.from(e.getCause());
    } catch (TimeoutException e) {
      throw new ParleyException(
          "DEADLINE_EXCEEDED",
          awaited + " within " + timeout + " (client-side wait; the " + call + " is still open)");
    }
  }

  CompletableFuture<R> future() {
    return done.copy();
  }

  boolean isDone() {
    return done.isDone();
  }

  /** Sending after the end is a caller bug; after a failure, the failure is the news. */
  void failIfOver() {
    if (!done.isDone()) {
      return;
    }
    try {
      done.join();
    } catch (CompletionException e) {
      throw ParleyException.from(e.getCause());
    }
    throw new IllegalStateException("the " + call + " has ended");
  }
}
