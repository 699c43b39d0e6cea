package dev.parley.server.grpc;

import dev.parley.proto.v1.ConverseRequest;
import dev.parley.proto.v1.ConverseResponse;
import dev.parley.proto.v1.DialogueGrpc;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.dialogue.DialogueEngine;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.metrics.EngineMetrics;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;

/** {@code parley.v1.Dialogue}: each Converse call is a session of the shared dialogue engine. */
final class DialogueService extends DialogueGrpc.DialogueImplBase {
  private final DialogueEngine engine;
  private final ServerConfig config;
  private final EngineMetrics metrics;
  private final ExecutorService pool;
  private final String serverName;
  private final SecureRandom seeds = new SecureRandom();
  private final AtomicLong ids = new AtomicLong();
  private final Set<ConverseCall> calls = ConcurrentHashMap.newKeySet();
  private volatile boolean accepting = true;

  DialogueService(
      DialogueEngine engine,
      ServerConfig config,
      EngineMetrics metrics,
      ExecutorService pool,
      String serverName) {
    this.engine = engine;
    this.config = config;
    this.metrics = metrics;
    this.pool = pool;
    this.serverName = serverName;
  }

  @Override
  public StreamObserver<ConverseRequest> converse(StreamObserver<ConverseResponse> responses) {
    ServerCallStreamObserver<ConverseResponse> out =
        (ServerCallStreamObserver<ConverseResponse>) responses;
    if (!accepting) {
      out.onError(
          Status.UNAVAILABLE.withDescription(EngineFullException.DRAINING).asRuntimeException());
      return new DiscardingObserver<>();
    }
    ConverseCall call = new ConverseCall(this, out, pool, "grpc-" + ids.incrementAndGet());
    calls.add(call);
    return call;
  }

  /** Closes calls whose client has sent nothing for the idle timeout; run periodically. */
  void closeIdleCalls() {
    long limit = config.idleTimeout().toNanos();
    for (ConverseCall c : calls) {
      if (c.idleNanos() > limit) {
        c.fail(
            Status.DEADLINE_EXCEEDED.withDescription(
                "idle timeout: no message received for "
                    + config.idleTimeout().toSeconds()
                    + " s"));
      }
    }
  }

  void stopAccepting() {
    accepting = false;
  }

  void forget(ConverseCall call) {
    calls.remove(call);
  }

  int openCalls() {
    return calls.size();
  }

  DialogueEngine engine() {
    return engine;
  }

  ServerConfig config() {
    return config;
  }

  EngineMetrics metrics() {
    return metrics;
  }

  String serverName() {
    return serverName;
  }

  long freshSeed() {
    return seeds.nextLong() & Long.MAX_VALUE;
  }

  /** For calls refused before they started: later client messages are dropped. */
  static final class DiscardingObserver<T> implements StreamObserver<T> {
    @Override
    public void onNext(T value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
