package dev.parley.server.grpc;

import dev.parley.proto.v1.TranscribeRequest;
import dev.parley.proto.v1.TranscribeResponse;
import dev.parley.proto.v1.TranscriptionGrpc;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.stt.SttEngine;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/** {@code parley.v1.Transcription}: each Transcribe call is a session of the shared STT engine. */
final class TranscriptionService extends TranscriptionGrpc.TranscriptionImplBase {
  private final SttEngine engine;
  private final EngineMetrics metrics;
  private final Executor pool;
  private final int maxQueuedFrames;
  private final AtomicLong ids = new AtomicLong();

  TranscriptionService(
      SttEngine engine, EngineMetrics metrics, Executor pool, int maxQueuedFrames) {
    this.engine = engine;
    this.metrics = metrics;
    this.pool = pool;
    this.maxQueuedFrames = maxQueuedFrames;
  }

  @Override
  public StreamObserver<TranscribeRequest> transcribe(
      StreamObserver<TranscribeResponse> responses) {
    return new TranscribeCall(
        this,
        (ServerCallStreamObserver<TranscribeResponse>) responses,
        pool,
        "stt-" + ids.incrementAndGet());
  }

  SttEngine engine() {
    return engine;
  }

  EngineMetrics metrics() {
    return metrics;
  }

  int maxQueuedFrames() {
    return maxQueuedFrames;
  }
}
