package dev.parley.server.grpc;

import dev.parley.proto.v1.ListVoicesRequest;
import dev.parley.proto.v1.ListVoicesResponse;
import dev.parley.proto.v1.SpeechGrpc;
import dev.parley.proto.v1.SynthesizeRequest;
import dev.parley.proto.v1.SynthesizeResponse;
import dev.parley.proto.v1.SynthesizeStreamRequest;
import dev.parley.proto.v1.Voice;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.tts.TtsEngine;
import dev.parley.server.tts.VoiceLibrary;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code parley.v1.Speech}: each Synthesize or SynthesizeStream call is a session of the shared TTS
 * engine.
 */
final class SpeechService extends SpeechGrpc.SpeechImplBase {
  private final TtsEngine engine;
  private final EngineMetrics metrics;
  private final Executor pool;
  private final Duration idleTimeout;
  private final AtomicLong ids = new AtomicLong();
  private final Set<SynthesizeCall> calls = ConcurrentHashMap.newKeySet();

  /**
   * @param idleTimeout a stream that sends no text, or a client that takes no output, for this long
   *     is closed, so that neither holds an engine slot forever
   */
  SpeechService(TtsEngine engine, EngineMetrics metrics, Executor pool, Duration idleTimeout) {
    this.engine = engine;
    this.metrics = metrics;
    this.pool = pool;
    this.idleTimeout = idleTimeout;
  }

  @Override
  public void synthesize(SynthesizeRequest request, StreamObserver<SynthesizeResponse> responses) {
    SynthesizeCall call = newCall(responses, /* streamed= */ false);
    // Off gRPC's thread: opening a session may read (or fetch) a voice file.
    pool.execute(() -> call.tryStart(request, /* streamed= */ false));
  }

  @Override
  public StreamObserver<SynthesizeStreamRequest> synthesizeStream(
      StreamObserver<SynthesizeResponse> responses) {
    return new SynthesizeStreamCall(
        newCall(responses, /* streamed= */ true), (ServerCallStreamObserver<?>) responses, pool);
  }

  @Override
  public void listVoices(ListVoicesRequest request, StreamObserver<ListVoicesResponse> responses) {
    VoiceLibrary voices = engine.voices();
    ListVoicesResponse.Builder out =
        ListVoicesResponse.newBuilder()
            .setDefaultVoice(voices.defaultVoice())
            .setMaxSpeakers(engine.model().config().maxSpeakers());
    for (String name : voices.names()) {
      out.addVoices(Voice.newBuilder().setName(name).setSource(voices.source()));
    }
    responses.onNext(out.build());
    responses.onCompleted();
  }

  private SynthesizeCall newCall(StreamObserver<SynthesizeResponse> responses, boolean streamed) {
    SynthesizeCall call =
        new SynthesizeCall(
            this,
            (ServerCallStreamObserver<SynthesizeResponse>) responses,
            "tts-" + ids.incrementAndGet(),
            streamed);
    calls.add(call);
    return call;
  }

  /** Closes calls idle past the timeout; run periodically. */
  void closeIdleCalls() {
    for (SynthesizeCall c : calls) {
      c.closeIfIdle(idleTimeout);
    }
  }

  void forget(SynthesizeCall call) {
    calls.remove(call);
  }

  int openCalls() {
    return calls.size();
  }

  TtsEngine engine() {
    return engine;
  }

  EngineMetrics metrics() {
    return metrics;
  }

  Executor pool() {
    return pool;
  }
}
