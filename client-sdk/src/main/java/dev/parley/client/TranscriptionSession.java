package dev.parley.client;

import com.google.protobuf.ByteString;
import dev.parley.proto.v1.AudioChunk;
import dev.parley.proto.v1.FinalTranscript;
import dev.parley.proto.v1.TranscribeConfig;
import dev.parley.proto.v1.TranscribeControl;
import dev.parley.proto.v1.TranscribeRequest;
import dev.parley.proto.v1.TranscribeResponse;
import dev.parley.proto.v1.TranscriptionGrpc;
import dev.parley.proto.v1.TranscriptionInfo;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One streaming transcription (a {@code Transcription.Transcribe} call). Send audio in the config's
 * input format with {@link #sendAudio(byte[])} or {@link #sendAudio(float[])}, optionally {@link
 * #sendMarker(long) markers} between chunks, then {@link #endInput()} and {@link
 * #awaitFinal(Duration)}. Results go to the {@link TranscriptionListener} given to {@link
 * ParleyClient#transcribe}.
 *
 * <p>Sending respects gRPC flow control as {@link Conversation} does: audio the transport cannot
 * take yet waits in a bounded buffer, past which {@code sendAudio} throws {@link
 * SendBufferFullException}. The server meters its input, so a file may be sent as fast as the
 * transport allows: call {@link #awaitReady(Duration)} before each chunk and it is transcribed at
 * the engine's speed.
 *
 * <p>Thread-safe. {@link #close()} cancels the call if it is still running.
 */
public final class TranscriptionSession implements AutoCloseable {
  private final TranscribeConfig config;
  private final TranscriptionListener listener;
  private final long maxBufferedBytes;
  private final CallOutcome<FinalTranscript> done;
  private final InputEncoder encoder;
  private volatile ClientCallStreamObserver<TranscribeRequest> call;
  private volatile OutboundQueue<TranscribeRequest> outbound;
  private volatile TranscriptionInfo session;
  private volatile FinalTranscript last;
  private boolean inputEnded;

  private TranscriptionSession(
      TranscribeConfig config, TranscriptionListener listener, long maxBufferedBytes) {
    this.config = config;
    this.listener = listener;
    this.done = new CallOutcome<>("transcription", listener::onError);
    this.maxBufferedBytes = maxBufferedBytes;
    this.encoder = new InputEncoder(config.getInputFormat(), this::sendAudio);
  }

  static TranscriptionSession start(
      TranscriptionGrpc.TranscriptionStub stub,
      TranscribeConfig config,
      TranscriptionListener listener,
      long maxBufferedBytes) {
    if (!config.hasInputFormat()) {
      throw new IllegalArgumentException(
          "TranscribeConfig.input_format is required (e.g. AudioFormats.pcmS16le(24000))");
    }
    if (maxBufferedBytes <= 0) {
      throw new IllegalArgumentException(
          "maxBufferedBytes must be positive, got " + maxBufferedBytes);
    }
    TranscriptionSession s = new TranscriptionSession(config, listener, maxBufferedBytes);
    stub.transcribe(s.new Responses());
    s.outbound.send(TranscribeRequest.newBuilder().setConfig(config).build());
    return s;
  }

  /** The config this session was opened with. */
  public TranscribeConfig config() {
    return config;
  }

  /**
   * Sends encoded audio in the config's input format; any chunk size (Ogg pages may be split
   * anywhere).
   */
  public void sendAudio(byte[] data) {
    sendAudio(data, 0, data.length);
  }

  public void sendAudio(byte[] data, int offset, int length) {
    failIfOver();
    outbound.send(
        TranscribeRequest.newBuilder()
            .setAudio(AudioChunk.newBuilder().setData(ByteString.copyFrom(data, offset, length)))
            .build());
  }

  /**
   * Encodes mono samples in [-1, 1] at the input format's rate to PCM_S16LE, PCM_F32LE or OGG_OPUS
   * and sends them.
   */
  public synchronized void sendAudio(float[] mono) {
    failIfOver();
    encoder.encode(mono);
  }

  /**
   * Asks the server to echo {@code id} back (to {@link TranscriptionListener#onMarker}) once every
   * sample sent before it has been transcribed — and the words in it delivered. Markers keep their
   * place among the audio; they take no room in the send buffer.
   */
  public synchronized void sendMarker(long id) {
    failIfOver();
    if (inputEnded) {
      throw new IllegalStateException("the transcription's input has already ended");
    }
    outbound.send(
        TranscribeRequest.newBuilder()
            .setControl(
                TranscribeControl.newBuilder()
                    .setAction(TranscribeControl.Action.MARKER)
                    .setMarkerId(id))
            .build());
  }

  /**
   * Waits until the transport takes more audio without queueing it.
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
   * No more audio: the server transcribes what it holds, sends the final transcript and ends the
   * call.
   */
  public synchronized void endInput() {
    if (inputEnded || done.isDone()) {
      return;
    }
    inputEnded = true;
    encoder.finish();
    outbound.send(
        TranscribeRequest.newBuilder()
            .setControl(
                TranscribeControl.newBuilder().setAction(TranscribeControl.Action.END_OF_INPUT))
            .build());
    outbound.complete();
  }

  /**
   * Waits for the final transcript.
   *
   * @throws ParleyException the call failed (e.g. {@code UNIMPLEMENTED}: no speech-to-text model on
   *     the server), was cancelled, or {@code DEADLINE_EXCEEDED} if it did not arrive within {@code
   *     timeout} (the call stays open)
   */
  public FinalTranscript awaitFinal(Duration timeout) throws InterruptedException {
    return done.await(timeout, "no final transcript");
  }

  /** Completes with the final transcript, or exceptionally with a {@link ParleyException}. */
  public CompletableFuture<FinalTranscript> completion() {
    return done.future();
  }

  /** The session's TranscriptionInfo, or null before it has arrived. */
  public TranscriptionInfo session() {
    return session;
  }

  /** True once the transcription ended, failed or was cancelled. */
  public boolean isDone() {
    return done.isDone();
  }

  private void failIfOver() {
    done.failIfOver();
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

  private final class Responses
      implements ClientResponseObserver<TranscribeRequest, TranscribeResponse> {
    @Override
    public void beforeStart(ClientCallStreamObserver<TranscribeRequest> requestStream) {
      call = requestStream;
      outbound =
          new OutboundQueue<>(requestStream, r -> r.getAudio().getData().size(), maxBufferedBytes);
      requestStream.setOnReadyHandler(() -> outbound.drain());
    }

    @Override
    public void onNext(TranscribeResponse r) {
      switch (r.getKindCase()) {
        case SESSION -> {
          session = r.getSession();
          listener.onSession(r.getSession());
        }
        case WORD -> listener.onWord(r.getWord());
        case WORD_END -> listener.onWordEnd(r.getWordEnd());
        case PAUSE -> listener.onPause(r.getPause());
        case END_OF_TURN -> listener.onEndOfTurn(r.getEndOfTurn());
        case MARKER -> listener.onMarker(r.getMarker());
        case FINAL -> {
          last = r.getFinal();
          listener.onFinal(r.getFinal());
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
      done.completed(last, "a FinalTranscript");
    }
  }
}
