package dev.parley.server.grpc;

import com.google.protobuf.ByteString;
import dev.parley.codec.format.AudioStreamEncoder;
import dev.parley.codec.format.StreamFormat;
import dev.parley.proto.v1.AudioChunk;
import dev.parley.proto.v1.SynthesizeRequest;
import dev.parley.proto.v1.SynthesizeResponse;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.tts.ScriptLimits;
import dev.parley.server.tts.TtsEngine;
import dev.parley.server.tts.TtsListener;
import dev.parley.server.tts.TtsOptions;
import dev.parley.server.tts.TtsSession;
import dev.parley.server.tts.TtsSummary;
import dev.parley.server.tts.TtsWord;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The response side of one Synthesize or SynthesizeStream call: a {@link TtsSession} whose words
 * and frames go out in the requested format, {@code ready} first and {@code end} last.
 *
 * <p>Output back-pressure: the engine steps the session only while the client takes what was sent
 * ({@link ResponseStream#isWritable}) and few frames wait to be encoded, so a slow reader slows the
 * synthesis instead of filling memory; the response stream's bounded queue stays as a safety net.
 * Encoding runs on the response stream's serial executor, never the engine thread.
 */
final class SynthesizeCall implements TtsListener {
  private static final Logger LOG = LoggerFactory.getLogger(SynthesizeCall.class);

  /** Frames handed over by the engine and not yet encoded before the engine pauses the session. */
  static final int MAX_PENDING_FRAMES = 4;

  /**
   * Safety net: messages held for a client that is not ready (back-pressure keeps it far lower).
   */
  static final int MAX_UNSENT_MESSAGES = 200;

  private final SpeechService service;
  private final ResponseStream<SynthesizeResponse> responses;
  final String id;

  // Engine events before `ready` is queued wait here so that `ready` goes first; null afterwards.
  private List<Runnable> early = new ArrayList<>(); // guarded by this
  private TtsSession session; // guarded by this

  private final AtomicInteger pendingFrames = new AtomicInteger();
  private volatile boolean paused; // the engine found the output not ready
  private volatile long stalledSince; // when the client stopped taking output, 0 while it takes it
  private volatile boolean awaitingText; // a stream between its config and the end of its text
  private volatile long lastInputNanos = System.nanoTime();

  private AudioStreamEncoder encoder; // serial executor only

  /**
   * @param streamed a SynthesizeStream call, which must keep sending until its end of text
   */
  SynthesizeCall(
      SpeechService service,
      ServerCallStreamObserver<SynthesizeResponse> out,
      String id,
      boolean streamed) {
    this.service = service;
    this.id = id;
    this.awaitingText = streamed;
    this.responses = new ResponseStream<>(out, service.pool(), MAX_UNSENT_MESSAGES, this::release);
    responses.onWritable(this::resume);
    out.setOnCancelHandler(
        () -> {
          responses.cancelled();
          release(); // cancelled or past its deadline: the slot is free at once
        });
  }

  ResponseStream<SynthesizeResponse> responses() {
    return responses;
  }

  /**
   * Opens the session: the whole script and its end for Synthesize ({@code streamed} false), else a
   * session that SynthesizeStream feeds (the config's text, if any, is its first piece).
   */
  void start(SynthesizeRequest request, boolean streamed) throws EngineFullException {
    TtsEngine engine = service.engine();
    List<String> script = streamed ? null : SpeechMapping.script(request);
    if (streamed && request.getTurnsCount() > 0) {
      throw new IllegalArgumentException(
          "turns are for Synthesize; SynthesizeStream takes text pieces");
    }
    if (script != null) { // refused at once rather than silent while a huge script is read
      String tooCostly = ScriptLimits.refusal(script, engine.settings().maxTextChars());
      if (tooCostly != null) {
        throw new IllegalArgumentException(tooCostly);
      }
    }
    TtsOptions options = SpeechMapping.options(request, engine.model().config());
    StreamFormat format = SpeechMapping.outputFormat(request);
    AudioStreamEncoder enc =
        AudioStreamEncoder.create(ProtoMapping.MODEL_RATE, format, this::sendAudio);
    TtsSession s = streamed ? engine.open(options, this) : engine.synthesize(script, options, this);
    SynthesizeResponse ready = SpeechMapping.ready(engine.model().name(), s.voices());
    synchronized (this) {
      session = s;
      responses.execute(
          () -> {
            encoder = enc;
            responses.send(ready);
          });
      early.forEach(responses::execute);
      early = null;
    }
    s.setOutputReady(this::outputReady);
    if (responses.isEnded()) {
      s.close(); // cancelled while it opened
    }
    LOG.debug("{}: synthesis open, voices {}, output {}", id, s.voices(), format);
  }

  /** More streamed text (dropped once the engine closed the session: its status is on its way). */
  void push(String text) {
    TtsSession s = session();
    try {
      s.pushText(text);
    } catch (IllegalStateException e) {
      if (!s.isClosed()) {
        throw e;
      }
    }
  }

  /** The end of the streamed text. */
  void endOfText() {
    awaitingText = false;
    session().endOfText();
  }

  /** A client message arrived (for the idle timeout). */
  void touched() {
    lastInputNanos = System.nanoTime();
  }

  /** {@link #start}, or the call fails with what went wrong. */
  void tryStart(SynthesizeRequest request, boolean streamed) {
    try {
      start(request, streamed);
    } catch (EngineFullException | RuntimeException e) {
      fail(e);
    }
  }

  /** What a request that could not be taken gets; the session, if any, is freed. */
  void fail(Exception e) {
    if (e instanceof EngineFullException) {
      service.metrics().rejected();
    }
    Status status;
    if (e instanceof EngineFullException || e instanceof IllegalArgumentException) {
      status = CallStatus.of(e);
    } else if (e instanceof IllegalStateException) {
      status =
          Status.UNAVAILABLE.withDescription(
              "the synthesis engine is not running: " + e.getMessage());
    } else {
      LOG.warn("{}: synthesis failed", id, e);
      status = Status.INTERNAL.withDescription(e.getMessage());
    }
    fail(status);
  }

  void fail(Status status) {
    LOG.debug("{}: {}", id, status);
    responses.fail(status);
  }

  /** The client went away. */
  void cancelled() {
    responses.cancelled();
    release();
  }

  /**
   * Fails a stream whose client sent nothing, or a call whose client read nothing, for {@code
   * limit}.
   */
  void closeIfIdle(Duration limit) {
    long now = System.nanoTime();
    long stalled = stalledSince;
    if (awaitingText && now - lastInputNanos > limit.toNanos()) {
      fail(
          Status.DEADLINE_EXCEEDED.withDescription(
              "idle timeout: no text for "
                  + limit.toSeconds()
                  + " s (end the text with end_of_text)"));
    } else if (stalled != 0 && now - stalled > limit.toNanos()) {
      fail(
          Status.RESOURCE_EXHAUSTED.withDescription(
              "client is not reading: output has waited " + limit.toSeconds() + " s"));
    }
  }

  // ---- engine → client (engine thread: hand over at once) --------------------------------------

  @Override
  public void onWord(TtsWord word) {
    emit(() -> responses.send(SpeechMapping.word(word)));
  }

  @Override
  public void onAudio(float[] pcm) {
    float[] frame = pcm.clone();
    pendingFrames.incrementAndGet();
    emit(
        () -> {
          pendingFrames.decrementAndGet();
          if (!responses.isEnded()) {
            long t0 = System.nanoTime();
            encoder.write(frame, 0, frame.length);
            service.metrics().audioOut(System.nanoTime() - t0);
          }
          resume();
        });
  }

  @Override
  public void onEnd(TtsSummary summary) {
    emit(
        () -> {
          if (responses.isEnded()) {
            return;
          }
          encoder.finish();
          responses.send(SpeechMapping.end(summary));
        });
  }

  @Override
  public void onClosed(String reason) {
    if (reason == null) {
      emit(responses::complete); // after End
    } else {
      emit(() -> fail(CallStatus.ofClosedSession(reason)));
    }
  }

  private void emit(Runnable task) {
    synchronized (this) {
      if (early != null) {
        early.add(task);
        return;
      }
    }
    responses.execute(task);
  }

  private void sendAudio(byte[] chunk) {
    service.metrics().bytesOut(chunk.length);
    responses.send(
        SynthesizeResponse.newBuilder()
            .setAudio(AudioChunk.newBuilder().setData(ByteString.copyFrom(chunk)))
            .build());
  }

  // ---- back-pressure ----------------------------------------------------------------------------

  /** Asked by the engine (under its lock) before each step; must be cheap and must not block. */
  private boolean outputReady() {
    paused = true; // before looking, so that a resume() racing with this sees it
    boolean writable = responses.isWritable();
    boolean ready = writable && pendingFrames.get() < MAX_PENDING_FRAMES;
    if (ready) {
      paused = false;
    }
    if (writable) {
      stalledSince = 0;
    } else if (stalledSince == 0) {
      stalledSince = System.nanoTime();
    }
    return ready;
  }

  /** Output went out: let a paused engine step the session again. */
  private void resume() {
    if (paused) {
      paused = false;
      TtsSession s = sessionOrNull();
      if (s != null) {
        s.wakeUp();
      }
    }
  }

  private synchronized TtsSession sessionOrNull() {
    return session;
  }

  private TtsSession session() {
    TtsSession s = sessionOrNull();
    if (s == null) {
      throw new IllegalStateException("no synthesis open");
    }
    return s;
  }

  private void release() {
    TtsSession s = sessionOrNull();
    if (s != null && !s.isClosed()) {
      s.close();
    }
    service.forget(this);
  }
}
