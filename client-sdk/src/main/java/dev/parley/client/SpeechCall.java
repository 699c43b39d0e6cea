package dev.parley.client;

import dev.parley.proto.v1.SpeechGrpc;
import dev.parley.proto.v1.SynthesisEnd;
import dev.parley.proto.v1.SynthesisReady;
import dev.parley.proto.v1.SynthesizeRequest;
import dev.parley.proto.v1.SynthesizeResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One speech synthesis whose results go to a {@link SpeechListener}: a {@code Speech.Synthesize}
 * call from {@link ParleyClient#synthesize(String, SpeechOptions, SpeechListener)}, or, as a {@link
 * SpeechStream}, a {@code Speech.SynthesizeStream} call whose text is still being sent. Wait for
 * the end with {@link #awaitEnd(Duration)}.
 *
 * <p>Thread-safe. {@link #close()} cancels the call if it is still running, so a try-with-resources
 * block never leaves a synthesis running on the server.
 */
public sealed class SpeechCall implements AutoCloseable permits SpeechStream {
  private final SpeechOptions options;
  private final SpeechListener listener;
  private final CallOutcome<SynthesisEnd> done;
  private volatile ClientCallStreamObserver<?> call;
  private volatile SynthesisReady ready;
  private volatile SynthesisEnd end;

  SpeechCall(SpeechOptions options, SpeechListener listener) {
    this.options = options;
    this.listener = listener;
    this.done = new CallOutcome<>("speech synthesis", listener::onError);
  }

  /** Starts a {@code Synthesize} call: all the text (or the options' turns) in one request. */
  static SpeechCall start(
      SpeechGrpc.SpeechStub stub, String text, SpeechOptions options, SpeechListener listener) {
    SynthesizeRequest request = options.toRequest(text);
    if (request.getText().isBlank() && request.getTurnsCount() == 0) {
      throw new IllegalArgumentException(
          "nothing to say: the text is empty and no turns are given");
    }
    SpeechCall c = new SpeechCall(options, listener);
    stub.synthesize(request, c.new Responses<SynthesizeRequest>(rs -> {}));
    return c;
  }

  /** The options this synthesis was started with. */
  public SpeechOptions options() {
    return options;
  }

  /**
   * Waits for the server's summary.
   *
   * @throws ParleyException the synthesis failed (the server's status and message, e.g.
   *     INVALID_ARGUMENT for an unknown voice), was cancelled, or {@code DEADLINE_EXCEEDED} if it
   *     did not end within {@code timeout} (the call stays open)
   */
  public SynthesisEnd awaitEnd(Duration timeout) throws InterruptedException {
    return done.await(timeout, "no SynthesisEnd from the server");
  }

  /** Completes with the summary, or exceptionally with a {@link ParleyException}. */
  public CompletableFuture<SynthesisEnd> completion() {
    return done.future();
  }

  /** The server's SynthesisReady (model, voices in use), or null before it has arrived. */
  public SynthesisReady ready() {
    return ready;
  }

  /** True once the synthesis ended, failed or was cancelled. */
  public boolean isDone() {
    return done.isDone();
  }

  /** Ends the call at once; the server frees the session. The listener gets CANCELLED. */
  public void cancel() {
    if (!done.isDone()) {
      call.cancel("cancelled by the client", null);
    }
  }

  /** Cancels the call if it is still running; does nothing after it ended. */
  @Override
  public void close() {
    cancel();
  }

  /** Sending after the end is a caller bug; after a failure, the failure is the news. */
  final void failIfOver() {
    done.failIfOver();
  }

  /** The call is over (ended, failed or cancelled); before waiters hear of it. */
  void callOver() {}

  /** The response side of the call, and its start-up hook. */
  final class Responses<Q> implements ClientResponseObserver<Q, SynthesizeResponse> {
    private final Consumer<ClientCallStreamObserver<Q>> onStart;

    Responses(Consumer<ClientCallStreamObserver<Q>> onStart) {
      this.onStart = onStart;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Q> requestStream) {
      call = requestStream;
      onStart.accept(requestStream);
    }

    @Override
    public void onNext(SynthesizeResponse r) {
      switch (r.getKindCase()) {
        case READY -> {
          ready = r.getReady();
          listener.onReady(r.getReady());
        }
        case AUDIO -> listener.onAudio(r.getAudio().getData().toByteArray());
        case WORD -> listener.onWord(r.getWord());
        case END -> {
          end = r.getEnd();
          listener.onEnd(r.getEnd());
        }
        default -> {} // a newer server's message kind: skip it
      }
    }

    @Override
    public void onError(Throwable t) {
      callOver();
      done.fail(ParleyException.from(t));
    }

    @Override
    public void onCompleted() {
      callOver();
      done.completed(end, "a SynthesisEnd message");
    }
  }
}
