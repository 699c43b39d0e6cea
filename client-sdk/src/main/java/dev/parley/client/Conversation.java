package dev.parley.client;

import com.google.protobuf.ByteString;
import dev.parley.proto.v1.AudioChunk;
import dev.parley.proto.v1.Control;
import dev.parley.proto.v1.ConverseRequest;
import dev.parley.proto.v1.ConverseResponse;
import dev.parley.proto.v1.DialogueGrpc;
import dev.parley.proto.v1.End;
import dev.parley.proto.v1.SessionInfo;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One open full-duplex conversation (a {@code Dialogue.Converse} call). Send audio as it is
 * captured with {@link #sendAudio(byte[])} or {@link #sendAudio(float[])}, say there is no more
 * with {@link #endInput()}, and wait for the server to finish with {@link #awaitEnd(Duration)}.
 * What the server sends goes to the {@link ConversationListener} given to {@link
 * ParleyClient#converse}.
 *
 * <p>Sending respects gRPC flow control: audio the transport cannot take yet waits in a bounded
 * buffer ({@link ConversationOptions#maxBufferedBytes()}); past it {@code sendAudio} throws {@link
 * SendBufferFullException}. A producer that runs ahead of real time on purpose calls {@link
 * #awaitReady(Duration)} before each send.
 *
 * <p>Thread-safe. {@link #close()} cancels the call if it is still running, so a try-with-resources
 * block never leaves a session open on the server.
 */
public final class Conversation implements AutoCloseable {
  private final ConversationOptions options;
  private final ConversationListener listener;
  private final boolean manualInbound;
  private final CallOutcome<End> done;
  private final InputEncoder encoder;
  private volatile ClientCallStreamObserver<ConverseRequest> call;
  private volatile OutboundQueue<ConverseRequest> outbound;
  private volatile SessionInfo session;
  private volatile End end;
  private boolean inputEnded;

  private Conversation(
      ConversationOptions options, ConversationListener listener, boolean manualInbound) {
    this.options = options;
    this.listener = listener;
    this.done = new CallOutcome<>("conversation", listener::onError);
    this.manualInbound = manualInbound;
    this.encoder = new InputEncoder(options.inputFormat(), this::sendAudio);
  }

  /**
   * Opens the call and sends the SessionConfig.
   *
   * @param manualInbound deliver server messages only as {@link #request(long)} asks for them
   */
  static Conversation start(
      DialogueGrpc.DialogueStub stub,
      ConversationOptions options,
      ConversationListener listener,
      boolean manualInbound) {
    Conversation c = new Conversation(options, listener, manualInbound);
    stub.converse(c.new Responses());
    c.outbound.send(ConverseRequest.newBuilder().setConfig(options.toSessionConfig()).build());
    return c;
  }

  /** Sends encoded audio in the input format; any chunk size. */
  public void sendAudio(byte[] data) {
    sendAudio(data, 0, data.length);
  }

  public void sendAudio(byte[] data, int offset, int length) {
    failIfOver();
    outbound.send(
        ConverseRequest.newBuilder()
            .setAudio(AudioChunk.newBuilder().setData(ByteString.copyFrom(data, offset, length)))
            .build());
  }

  /**
   * Encodes mono samples in [-1, 1] to the input format and sends them: PCM_S16LE, PCM_F32LE
   * (copied to both channels if the format is stereo) or OGG_OPUS (pages as they complete). The
   * samples must be at the input format's rate; see {@code
   * dev.parley.codec.resample.StreamingResampler}.
   */
  public synchronized void sendAudio(float[] mono) {
    failIfOver();
    encoder.encode(mono);
  }

  /** No more audio: the server finishes the frames it holds, sends End and closes the stream. */
  public synchronized void endInput() {
    if (inputEnded || done.isDone()) {
      return;
    }
    inputEnded = true;
    encoder.finish();
    outbound.send(
        ConverseRequest.newBuilder()
            .setControl(Control.newBuilder().setAction(Control.Action.END_OF_INPUT))
            .build());
    outbound.complete();
  }

  /**
   * Waits until the transport takes more audio without queueing it, for producers that read a file
   * faster than real time.
   *
   * @return false if {@code timeout} passed first
   */
  public boolean awaitReady(Duration timeout) throws InterruptedException {
    return outbound.awaitDrained(timeout);
  }

  /** Bytes waiting for gRPC flow control. */
  public long bufferedBytes() {
    return outbound.queuedBytes();
  }

  /**
   * Waits for the server's End.
   *
   * @throws ParleyException the conversation failed (the server's status), was cancelled, or {@code
   *     DEADLINE_EXCEEDED} if no End came within {@code timeout} (the call stays open)
   */
  public End awaitEnd(Duration timeout) throws InterruptedException {
    return done.await(timeout, "no End from the server");
  }

  /** Completes with the End, or exceptionally with a {@link ParleyException}. */
  public CompletableFuture<End> completion() {
    return done.future();
  }

  /** The SessionInfo, or null before it has arrived. */
  public SessionInfo session() {
    return session;
  }

  /** True once the conversation ended, failed or was cancelled. */
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

  /** Lets {@code n} more server messages through (Flow subscribers' demand). */
  void request(long n) {
    call.request((int) Math.min(Integer.MAX_VALUE, n));
  }

  private void failIfOver() {
    done.failIfOver();
  }

  /** The response side of the call, and its start-up hook. */
  private final class Responses
      implements ClientResponseObserver<ConverseRequest, ConverseResponse> {
    @Override
    public void beforeStart(ClientCallStreamObserver<ConverseRequest> requestStream) {
      call = requestStream;
      outbound =
          new OutboundQueue<>(
              requestStream, r -> r.getAudio().getData().size(), options.maxBufferedBytes());
      requestStream.setOnReadyHandler(() -> outbound.drain());
      if (manualInbound) {
        requestStream.disableAutoRequestWithInitial(0);
      }
    }

    @Override
    public void onNext(ConverseResponse r) {
      switch (r.getKindCase()) {
        case SESSION -> {
          session = r.getSession();
          listener.onSession(r.getSession());
        }
        case AUDIO -> listener.onAudio(r.getAudio().getData().toByteArray());
        case TEXT -> listener.onText(r.getText());
        case TIMING -> listener.onTiming(r.getTiming());
        case END -> {
          end = r.getEnd();
          listener.onEnd(r.getEnd());
        }
        default -> {} // a newer server's message kind: skip it
      }
    }

    @Override
    public void onError(Throwable t) {
      outbound.abandon();
      done.fail(ParleyException.from(t));
    }

    @Override
    public void onCompleted() {
      outbound.abandon();
      done.completed(end, "an End message");
    }
  }
}
