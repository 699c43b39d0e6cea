package dev.parley.server.grpc;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.format.AudioStreamDecoder;
import dev.parley.codec.format.StreamFormat;
import dev.parley.proto.v1.EndOfTurn;
import dev.parley.proto.v1.FinalTranscript;
import dev.parley.proto.v1.Marker;
import dev.parley.proto.v1.PauseProbabilities;
import dev.parley.proto.v1.TranscribeConfig;
import dev.parley.proto.v1.TranscribeControl;
import dev.parley.proto.v1.TranscribeRequest;
import dev.parley.proto.v1.TranscribeResponse;
import dev.parley.proto.v1.TranscriptionInfo;
import dev.parley.proto.v1.Word;
import dev.parley.proto.v1.WordEnd;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.stt.SttEngine;
import dev.parley.server.engine.MeteredFeed;
import dev.parley.server.stt.SttListener;
import dev.parley.server.stt.SttOptions;
import dev.parley.server.stt.SttSession;
import dev.parley.server.stt.SttStep;
import dev.parley.server.stt.SttWord;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * One {@code Transcription.Transcribe} call: the gRPC side of an {@link SttSession}. Input is
 * metered as in {@link ConverseCall} (a file streamed at once is transcribed as fast as the
 * engine goes, not refused); every call on the response observer runs on one serial executor.
 */
final class TranscribeCall implements StreamObserver<TranscribeRequest>, SttListener {
  private final TranscriptionService service;
  private final ResponseStream<TranscribeResponse> responses;
  private final String id;

  private SttSession session;
  private AudioStreamDecoder decoder;
  private final MeteredFeed pending = new MeteredFeed();
  private final RequestMeter requests;
  private boolean endOfInput;
  private boolean endSent;
  private int pauseEvery; // response stream's executor only

  TranscribeCall(TranscriptionService service, ServerCallStreamObserver<TranscribeResponse> out, Executor pool,
      String id) {
    this.service = service;
    this.id = id;
    // Words and pause probabilities are small: hold more of them than of audio frames.
    this.responses = new ResponseStream<>(out, pool, 10 * ConverseCall.MAX_UNSENT_MESSAGES, this::closeSession);
    this.requests = new RequestMeter(out, responses);
    out.setOnCancelHandler(() -> {
      responses.cancelled();
      closeSession();
    });
    requestNext();
  }

  @Override
  public void onNext(TranscribeRequest request) {
    requests.received();
    if (responses.isEnded()) {
      return;
    }
    try {
      switch (request.getKindCase()) {
        case CONFIG -> start(request.getConfig());
        case AUDIO -> audio(request.getAudio().getData().toByteArray());
        case CONTROL -> control(request.getControl());
        case KIND_NOT_SET -> { }
      }
    } catch (IllegalArgumentException | AudioFormatException | EngineFullException e) {
      if (e instanceof EngineFullException) {
        service.metrics().rejected();
      }
      fail(CallStatus.of(e));
      return;
    }
    pump();
  }

  private void start(TranscribeConfig config) throws EngineFullException {
    if (session != null) {
      throw new IllegalArgumentException("TranscribeConfig may only be the first message");
    }
    if (!config.hasInputFormat()) {
      throw new IllegalArgumentException("TranscribeConfig.input_format is required");
    }
    if (config.getPauseProbabilitiesEverySteps() < 0) {
      throw new IllegalArgumentException("pause_probabilities_every_steps must be 0 (never) or positive");
    }
    StreamFormat input = ProtoMapping.format(config.getInputFormat(), "input_format");
    SttOptions options = SttOptions.defaults().withEndOfTurn(
        config.hasEndOfTurnHead() ? config.getEndOfTurnHead() : SttOptions.DEFAULT_END_OF_TURN_HEAD,
        config.hasEndOfTurnThreshold() ? config.getEndOfTurnThreshold() : SttOptions.DEFAULT_END_OF_TURN_THRESHOLD);
    AudioStreamDecoder dec = AudioStreamDecoder.create(input, ProtoMapping.MODEL_RATE, pending::addAudio);
    SttEngine engine = service.engine();
    SttSession s = engine.open(options, this);
    TranscriptionInfo info = TranscriptionInfo.newBuilder().setSessionId(id).setModel(engine.model().name())
        .setDelayS(engine.settings().audioDelaySeconds()).setPauseHeads(engine.pauseHeads())
        .setEndOfTurnHead(options.endOfTurnHead()).setEndOfTurnThreshold((float) options.endOfTurnThreshold())
        .build();
    int every = config.getPauseProbabilitiesEverySteps();
    responses.execute(() -> {
      pauseEvery = every;
      responses.send(TranscribeResponse.newBuilder().setSession(info).build());
    });
    synchronized (this) {
      decoder = dec;
      session = s;
    }
  }

  private void audio(byte[] data) throws AudioFormatException {
    if (session == null) {
      throw new IllegalArgumentException("the first message must be a TranscribeConfig");
    }
    if (endOfInput) {
      throw new IllegalArgumentException("audio after END_OF_INPUT");
    }
    service.metrics().bytesIn(data.length);
    synchronized (this) {
      long t0 = System.nanoTime();
      decoder.feed(data);
      service.metrics().audioIn(System.nanoTime() - t0);
    }
  }

  private void control(TranscribeControl control) throws AudioFormatException {
    if (session == null) {
      throw new IllegalArgumentException("the first message must be a TranscribeConfig");
    }
    switch (control.getAction()) {
      case END_OF_INPUT -> endInput();
      case MARKER -> {
        synchronized (this) {
          pending.addMarker(control.getMarkerId());
        }
      }
      default -> { }
    }
  }

  private void endInput() throws AudioFormatException {
    synchronized (this) {
      if (!endOfInput) {
        endOfInput = true;
        decoder.finish();
      }
    }
  }

  /** Moves decoded audio into the session while its queue has room; asks for more when all is in. */
  private void pump() {
    boolean request = false;
    synchronized (this) {
      if (session == null || responses.isEnded()) {
        request = session == null && !responses.isEnded();
      } else {
        boolean allIn = pending.pumpInto(session, MeteredFeed.room(service.maxQueuedFrames()));
        if (allIn && !endOfInput) {
          request = true;
        } else if (allIn && !endSent) {
          endSent = true;
          session.endOfInput();
        }
      }
    }
    if (request) {
      requestNext();
    }
  }

  private void requestNext() {
    requests.requestNext();
  }

  @Override
  public void onCompleted() {
    if (responses.isEnded()) {
      return;
    }
    try {
      if (session == null) {
        throw new IllegalArgumentException("the stream ended before its TranscribeConfig");
      }
      endInput();
    } catch (IllegalArgumentException | AudioFormatException e) {
      fail(CallStatus.of(e));
      return;
    }
    pump();
  }

  @Override
  public void onError(Throwable t) {
    responses.cancelled();
    closeSession();
  }

  // ---- engine → client (engine thread: hand off at once) ---------------------------------------

  @Override
  public void onStep(SttStep step) {
    pump();
    float[] prs = step.pauseProbabilities();
    responses.execute(() -> {
      if (pauseEvery > 0 && prs.length > 0 && step.index() % pauseEvery == 0) {
        PauseProbabilities.Builder p = PauseProbabilities.newBuilder().setStep(step.index());
        for (float v : prs) {
          p.addProbabilities(v);
        }
        responses.send(TranscribeResponse.newBuilder().setPause(p).build());
      }
    });
  }

  @Override
  public void onEndOfTurn(long stepIndex, float pauseProbability) {
    responses.execute(() -> responses.send(TranscribeResponse.newBuilder()
        .setEndOfTurn(EndOfTurn.newBuilder().setStep(stepIndex).setProbability(pauseProbability)).build()));
  }

  @Override
  public void onWord(int index, String text, double startSeconds) {
    responses.execute(() -> responses.send(TranscribeResponse.newBuilder()
        .setWord(Word.newBuilder().setIndex(index).setText(text).setStartS(startSeconds)).build()));
  }

  @Override
  public void onWordEnd(int index, double stopSeconds) {
    responses.execute(() -> responses.send(TranscribeResponse.newBuilder()
        .setWordEnd(WordEnd.newBuilder().setIndex(index).setEndS(stopSeconds)).build()));
  }

  @Override
  public void onMarker(long markerId) {
    responses.execute(() -> responses.send(TranscribeResponse.newBuilder().setMarker(Marker.newBuilder().setId(markerId))
        .build()));
  }

  @Override
  public void onTranscript(List<SttWord> words) {
    FinalTranscript.Builder f = FinalTranscript.newBuilder();
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < words.size(); i++) {
      SttWord w = words.get(i);
      f.addWords(Word.newBuilder().setIndex(i).setText(w.text()).setStartS(w.startSeconds()).setEndS(w.endSeconds()));
      text.append(i == 0 ? "" : " ").append(w.text());
    }
    f.setText(text.toString());
    responses.execute(() -> responses.send(TranscribeResponse.newBuilder().setFinal(f).build()));
  }

  @Override
  public void onClosed(String reason) {
    if (reason == null) {
      responses.complete(); // after the FinalTranscript queued by onTranscript
      return;
    }
    fail(CallStatus.ofClosedSession(reason));
  }

  void fail(Status status) {
    responses.fail(status);
  }

  private void closeSession() {
    SttSession s;
    synchronized (this) {
      s = session;
    }
    if (s != null && !s.isClosed()) {
      s.close();
    }
  }
}
