package dev.parley.client;

import dev.parley.proto.v1.End;
import dev.parley.proto.v1.FrameTiming;
import dev.parley.proto.v1.SessionInfo;
import dev.parley.proto.v1.TextPiece;
import java.util.concurrent.Flow;

/**
 * Delivers a conversation to a {@link Flow.Subscriber}: one {@link ConversationEvent} per server
 * message, and only as many as the subscriber asked for, because its demand becomes gRPC's inbound
 * flow control (the server is held back rather than events piling up here).
 */
final class SubscriberBridge implements ConversationListener, Flow.Subscription {
  private static final int UNBOUNDED = Integer.MAX_VALUE / 2;

  private final Flow.Subscriber<? super ConversationEvent> subscriber;
  private Conversation conversation;
  private boolean subscribed;
  private boolean terminated;
  private Throwable pendingError;
  private boolean unbounded;

  SubscriberBridge(Flow.Subscriber<? super ConversationEvent> subscriber) {
    this.subscriber = subscriber;
  }

  /** Hands the subscription over; a failure that came before it is delivered right after. */
  void subscribe(Conversation c) {
    synchronized (this) {
      conversation = c;
    }
    subscriber.onSubscribe(this);
    Throwable early;
    synchronized (this) {
      subscribed = true;
      early = pendingError;
    }
    if (early != null) {
      subscriber.onError(early);
    }
  }

  @Override
  public void request(long n) {
    if (n <= 0) { // Reactive Streams rule 3.9
      fail(new IllegalArgumentException("request(" + n + "): demand must be positive"));
      conversation.cancel();
      return;
    }
    synchronized (this) {
      if (unbounded) {
        return;
      }
      // gRPC counts demand in an int: treat very large requests as "everything" once, so that
      // repeated Long.MAX_VALUE requests cannot overflow it.
      if (n > UNBOUNDED) {
        unbounded = true;
        n = UNBOUNDED;
      }
    }
    conversation.request(n);
  }

  @Override
  public void cancel() {
    synchronized (this) {
      terminated = true;
    }
    conversation.cancel();
  }

  @Override
  public void onSession(SessionInfo session) {
    emit(new ConversationEvent.Session(session));
  }

  @Override
  public void onAudio(byte[] chunk) {
    emit(new ConversationEvent.Audio(chunk));
  }

  @Override
  public void onText(TextPiece text) {
    emit(new ConversationEvent.Text(text));
  }

  @Override
  public void onTiming(FrameTiming timing) {
    emit(new ConversationEvent.Timing(timing));
  }

  @Override
  public void onEnd(End end) {
    if (emit(new ConversationEvent.Ended(end))) {
      synchronized (this) {
        terminated = true;
      }
      subscriber.onComplete();
    }
  }

  @Override
  public void onError(ParleyException error) {
    fail(error);
  }

  private boolean emit(ConversationEvent event) {
    synchronized (this) {
      if (terminated) {
        return false;
      }
    }
    subscriber.onNext(event);
    return true;
  }

  private void fail(Throwable error) {
    synchronized (this) {
      if (terminated) {
        return;
      }
      terminated = true;
      if (!subscribed) {
        pendingError = error;
        return;
      }
    }
    subscriber.onError(error);
  }
}
