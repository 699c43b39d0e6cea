package dev.parley.client;

import dev.parley.proto.v1.SpeechGrpc;
import dev.parley.proto.v1.SynthesizeStreamRequest;
import java.time.Duration;

/**
 * A speech synthesis whose text arrives in pieces (a {@code Speech.SynthesizeStream} call), e.g.
 * the tokens of an LLM still writing: send them with {@link #sendText(String)} as they come, then
 * {@link #endOfText()}, and wait with {@link #awaitEnd(Duration)}. Audio and word timings go to the
 * {@link SpeechListener} given to {@link ParleyClient#openSpeechStream} while text is still being
 * sent.
 *
 * <p>Pieces are concatenated on the server: "Hel", "lo wor", "ld" is "Hello world". A word is
 * spoken once whitespace after it (or the end of text) shows it is complete, so end a line or a
 * sentence with a space or a newline to have it spoken without waiting for the next piece. When the
 * text runs dry the model pads with silence and waits for more.
 *
 * <p>Sending respects gRPC flow control as {@link Conversation} does: text the transport cannot
 * take yet waits in a bounded buffer ({@link SpeechOptions#maxBufferedBytes()}), past which {@code
 * sendText} throws {@link SendBufferFullException}; {@link #awaitReady(Duration)} waits for room.
 *
 * <p>Thread-safe. {@link #close()} cancels the call if it is still running.
 */
public final class SpeechStream extends SpeechCall {
  private volatile OutboundQueue<SynthesizeStreamRequest> outbound;
  private boolean textEnded;

  private SpeechStream(SpeechOptions options, SpeechListener listener) {
    super(options, listener);
  }

  /** Opens the call and sends the options (without text) as its first message. */
  static SpeechStream start(
      SpeechGrpc.SpeechStub stub, SpeechOptions options, SpeechListener listener) {
    SpeechStream s = new SpeechStream(options, listener);
    SynthesizeStreamRequest config =
        SynthesizeStreamRequest.newBuilder().setConfig(options.toRequest(null)).build();
    stub.synthesizeStream(
        s
        .new Responses<SynthesizeStreamRequest>(
            rs -> {
              s.outbound =
                  new OutboundQueue<>(rs, SpeechStream::textBytes, options.maxBufferedBytes());
              rs.setOnReadyHandler(() -> s.outbound.drain());
            }));
    s.outbound.send(config);
    return s;
  }

  private static int textBytes(SynthesizeStreamRequest r) {
    return r.getKindCase() == SynthesizeStreamRequest.KindCase.TEXT ? r.getTextBytes().size() : 0;
  }

  /**
   * Sends more text, concatenated to what came before. Empty pieces are not sent.
   *
   * @throws SendBufferFullException flow control held back more than the options' buffer allows
   * @throws ParleyException the synthesis already failed (its failure)
   * @throws IllegalStateException the text already ended
   */
  public synchronized void sendText(String piece) {
    failIfOver();
    if (textEnded) {
      throw new IllegalStateException("the speech stream's text has already ended");
    }
    if (piece.isEmpty()) {
      return;
    }
    outbound.send(SynthesizeStreamRequest.newBuilder().setText(piece).build());
  }

  /**
   * No more text: the server speaks what it holds (the last word too, whitespace or not), sends the
   * SynthesisEnd and closes the call. Does nothing if the text already ended or the call is over.
   */
  public synchronized void endOfText() {
    if (textEnded || isDone()) {
      return;
    }
    textEnded = true;
    outbound.send(SynthesizeStreamRequest.newBuilder().setEndOfText(true).build());
    outbound.complete();
  }

  /**
   * Waits until the transport takes more text without queueing it.
   *
   * @return false if {@code timeout} passed first
   */
  public boolean awaitReady(Duration timeout) throws InterruptedException {
    return outbound.awaitDrained(timeout);
  }

  /** Bytes of text waiting for gRPC flow control. */
  public long bufferedBytes() {
    return outbound.queuedBytes();
  }

  @Override
  void callOver() {
    outbound.abandon();
  }
}
