package dev.parley.server.grpc;

import dev.parley.proto.v1.SynthesizeRequest;
import dev.parley.proto.v1.SynthesizeStreamRequest;
import dev.parley.server.engine.EngineFullException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;

/**
 * The request side of one {@code Speech.SynthesizeStream} call: a config, text pieces, the end of
 * text (or a half-close, which means the same). Messages are handled one at a time off gRPC's
 * threads (opening a session may read a voice file), and the next one is asked for only when the
 * previous one is handled.
 */
final class SynthesizeStreamCall implements StreamObserver<SynthesizeStreamRequest> {
  private final SynthesizeCall call;
  private final RequestMeter requests;
  private final SerialExecutor inbound;

  // The inbound executor only.
  private boolean configured;
  private boolean ended;
  private boolean anyText;

  SynthesizeStreamCall(SynthesizeCall call, ServerCallStreamObserver<?> out, Executor pool) {
    this.call = call;
    this.requests = new RequestMeter(out, call.responses());
    this.inbound = new SerialExecutor(pool);
    requests.requestNext();
  }

  @Override
  public void onNext(SynthesizeStreamRequest request) {
    requests.received();
    call.touched();
    inbound.execute(
        () -> {
          handle(request);
          requests.requestNext();
        });
  }

  private void handle(SynthesizeStreamRequest request) {
    if (call.responses().isEnded()) {
      return;
    }
    try {
      switch (request.getKindCase()) {
        case CONFIG -> config(request.getConfig());
        case TEXT -> text(request.getText());
        case END_OF_TEXT -> end();
        case KIND_NOT_SET -> {}
      }
    } catch (EngineFullException | RuntimeException e) {
      call.fail(e);
    }
  }

  private void config(SynthesizeRequest config) throws EngineFullException {
    if (configured) {
      throw new IllegalArgumentException("config may only be the first message");
    }
    call.start(config, /* streamed= */ true);
    configured = true;
    if (!config.getText().isEmpty()) {
      text(config.getText());
    }
  }

  private void text(String piece) {
    requireConfig();
    if (ended) {
      throw new IllegalArgumentException("text after end_of_text");
    }
    anyText |= !piece.isBlank();
    call.push(piece);
  }

  private void end() {
    requireConfig();
    if (ended) {
      return;
    }
    if (!anyText) {
      throw new IllegalArgumentException("no text to speak: the text ended before any word");
    }
    ended = true;
    call.endOfText();
  }

  private void requireConfig() {
    if (!configured) {
      throw new IllegalArgumentException("the first message must be a config");
    }
  }

  @Override
  public void onCompleted() {
    inbound.execute(
        () -> {
          if (call.responses().isEnded()) {
            return;
          }
          if (!configured) {
            call.fail(new IllegalArgumentException("the stream ended before its config"));
            return;
          }
          try {
            end(); // a half-close without end_of_text means the same
          } catch (RuntimeException e) {
            call.fail(e);
          }
        });
  }

  @Override
  public void onError(Throwable t) {
    call.cancelled();
  }
}
