package dev.parley.client;

import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import java.util.Iterator;

/**
 * A server-streaming response as an {@link Iterator} whose failures are {@link ParleyException}s.
 * {@link #close()} cancels the call if the caller stops reading early.
 */
public final class ParleyIterator<T> implements Iterator<T>, AutoCloseable {
  private final Iterator<T> responses;
  private final Context.CancellableContext context;

  ParleyIterator(Iterator<T> responses, Context.CancellableContext context) {
    this.responses = responses;
    this.context = context;
  }

  @Override
  public boolean hasNext() {
    try {
      return responses.hasNext();
    } catch (StatusRuntimeException e) {
      throw ParleyException.from(e);
    }
  }

  @Override
  public T next() {
    try {
      return responses.next();
    } catch (StatusRuntimeException e) {
      throw ParleyException.from(e);
    }
  }

  @Override
  public void close() {
    context.cancel(null);
  }
}
