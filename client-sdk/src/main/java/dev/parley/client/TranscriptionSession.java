package dev.parley.client;

import com.google.protobuf.ByteString;
import dev.parley.proto.v1.AudioChunk;
import dev.parley.proto.v1.FinalTranscript;
import dev.parley.proto.v1.TranscribeConfig;
import dev.parley.proto.v1.TranscribeControl;
import dev.parley.proto.v1.TranscribeRequest;
import dev.parley.proto.v1.TranscribeResponse;
import dev.parley.proto.v1.TranscriptionGrpc;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One streaming transcription (a {@code Transcription.Transcribe} call): send audio, end the
 * input, wait for the final transcript. Flow control as in {@link Conversation}. Thread-safe.
 */
public final class TranscriptionSession implements AutoCloseable {
  private final TranscriptionListener listener;
  private final long maxBufferedBytes;
  private final CompletableFuture<FinalTranscript> done = new CompletableFuture<>();
  private final AtomicBoolean finished = new AtomicBoolean();
  private volatile ClientCallStreamObserver<TranscribeRequest> call;
  private volatile OutboundQueue<TranscribeRequest> outbound;
  private volatile FinalTranscript last;

  private TranscriptionSession(TranscriptionListener listener, long maxBufferedBytes) {
    this.listener = listener;
    this.maxBufferedBytes = maxBufferedBytes;
  }

  static TranscriptionSession start(TranscriptionGrpc.TranscriptionStub stub, TranscribeConfig config,
      TranscriptionListener listener, long maxBufferedBytes) {
    TranscriptionSession s = new TranscriptionSession(listener, maxBufferedBytes);
    stub.transcribe(s.new Responses());
    s.outbound.send(TranscribeRequest.newBuilder().setConfig(config).build());
    return s;
  }

  /** Sends audio in the config's input format. */
  public void sendAudio(byte[] data) {
    failIfOver();
    outbound.send(TranscribeRequest.newBuilder().setAudio(AudioChunk.newBuilder().setData(ByteString.copyFrom(data))).build());
  }

  /** Waits until the transport takes more audio without queueing it; false on timeout. */
  public boolean awaitReady(Duration timeout) throws InterruptedException {
    return outbound.awaitDrained(timeout);
  }

  /** No more audio: the server flushes the model and sends the final transcript. */
  public void endInput() {
    if (done.isDone()) {
      return;
    }
    outbound.send(TranscribeRequest.newBuilder()
        .setControl(TranscribeControl.newBuilder().setAction(TranscribeControl.Action.END_OF_INPUT)).build());
    outbound.complete();
  }

  /**
   * Waits for the final transcript.
   *
   * @throws ParleyException the call failed (e.g. UNIMPLEMENTED), or DEADLINE_EXCEEDED on timeout
   */
  public FinalTranscript awaitFinal(Duration timeout) throws InterruptedException {
    try {
      return done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw ParleyException.from(e.getCause());
    } catch (TimeoutException e) {
      throw new ParleyException("DEADLINE_EXCEEDED", "no final transcript within " + timeout + " (client-side wait)");
    }
  }

  private void failIfOver() {
    if (!done.isDone()) {
      return;
    }
    try {
      done.join();
    } catch (CompletionException e) {
      throw ParleyException.from(e.getCause());
    }
    throw new IllegalStateException("the transcription has ended");
  }

  public void cancel() {
    if (!done.isDone()) {
      call.cancel("cancelled by the client", null);
    }
  }

  @Override
  public void close() {
    cancel();
  }

  private final class Responses implements ClientResponseObserver<TranscribeRequest, TranscribeResponse> {
    @Override
    public void beforeStart(ClientCallStreamObserver<TranscribeRequest> requestStream) {
      call = requestStream;
      outbound = new OutboundQueue<>(requestStream, r -> r.getAudio().getData().size(), maxBufferedBytes);
      requestStream.setOnReadyHandler(() -> outbound.drain());
    }

    @Override
    public void onNext(TranscribeResponse r) {
      switch (r.getKindCase()) {
        case WORD -> listener.onWord(r.getWord());
        case PAUSE -> listener.onPause(r.getPause());
        case END_OF_TURN -> listener.onEndOfTurn(r.getEndOfTurn());
        case FINAL -> {
          last = r.getFinal();
          listener.onFinal(r.getFinal());
        }
        default -> { }
      }
    }

    /** The listener hears the outcome before awaitFinal returns it. */
    private void finish(ParleyException error, FinalTranscript result) {
      if (!finished.compareAndSet(false, true)) {
        return;
      }
      if (error != null) {
        listener.onError(error);
        done.completeExceptionally(error);
      } else {
        done.complete(result);
      }
    }

    @Override
    public void onError(Throwable t) {
      outbound.abandon();
      finish(ParleyException.from(t), null);
    }

    @Override
    public void onCompleted() {
      outbound.abandon();
      finish(null, last != null ? last : FinalTranscript.getDefaultInstance());
    }
  }
}
