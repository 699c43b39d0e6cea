package dev.parley.server.grpc;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.metrics.EngineMetrics;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;

/**
 * A streaming call that feeds an engine session with the client's audio: what {@code Converse} and
 * {@code Transcribe} share. Requests arrive one at a time ({@link CallInput} meters them); a bad
 * one fails the call with a status that says why; a cancel, a deadline or the end of the response
 * stream frees the session at once. Subclasses handle each request and the session's events.
 *
 * @param <Q> the request message
 * @param <R> the response message
 */
abstract class SessionCall<Q, R> implements StreamObserver<Q> {
  protected final ResponseStream<R> responses;
  protected final CallInput input;
  private final EngineMetrics metrics;

  /**
   * @param maxUnsent response messages held for a client that is not reading
   * @param configName the first message's name, for errors
   */
  SessionCall(
      ServerCallStreamObserver<R> out,
      Executor pool,
      int maxUnsent,
      EngineMetrics metrics,
      String configName) {
    this.metrics = metrics;
    this.responses = new ResponseStream<>(out, pool, maxUnsent, this::release);
    this.input = new CallInput(out, responses, metrics, configName);
    out.setOnCancelHandler(
        () -> {
          responses.cancelled();
          release(); // cancelled or past its deadline: the slot is free at once
        });
    input.requestFirst();
  }

  /** One request message; an exception fails the call with the matching status. */
  protected abstract void handle(Q request) throws EngineFullException, AudioFormatException;

  /** Moves the audio that waits into the session, and ends the input once all of it is in. */
  protected abstract void pump();

  /** The call is over: free the session (idempotent). */
  protected abstract void release();

  @Override
  public final void onNext(Q request) {
    input.received();
    if (responses.isEnded()) {
      return;
    }
    try {
      handle(request);
    } catch (IllegalArgumentException | AudioFormatException | EngineFullException e) {
      if (e instanceof EngineFullException) {
        metrics.rejected();
      }
      fail(CallStatus.of(e));
      return;
    }
    pump();
  }

  /** A half-close means the end of input, as an explicit END_OF_INPUT does. */
  @Override
  public final void onCompleted() {
    if (responses.isEnded()) {
      return;
    }
    try {
      input.endInput();
    } catch (IllegalArgumentException | AudioFormatException e) {
      fail(CallStatus.of(e));
      return;
    }
    pump();
  }

  @Override
  public final void onError(Throwable t) {
    responses.cancelled();
    release();
  }

  /** An error for this call only: the status goes to the client and the session is freed. */
  void fail(Status status) {
    responses.fail(status);
  }
}
