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
import dev.parley.server.stt.SttListener;
import dev.parley.server.stt.SttOptions;
import dev.parley.server.stt.SttSession;
import dev.parley.server.stt.SttStep;
import dev.parley.server.stt.SttWord;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One {@code Transcription.Transcribe} call: the gRPC side of an {@link SttSession}. Input is
 * metered as in {@link ConverseCall} (a file streamed at once is transcribed as fast as the engine
 * goes, not refused); every call on the response observer runs on one serial executor.
 */
final class TranscribeCall extends SessionCall<TranscribeRequest, TranscribeResponse>
    implements SttListener {
  private final TranscriptionService service;
  private final String id;

  private volatile SttSession session;
  private boolean endSent; // guarded by this
  private int pauseEvery; // response stream's executor only

  TranscribeCall(
      TranscriptionService service,
      ServerCallStreamObserver<TranscribeResponse> out,
      Executor pool,
      String id) {
    // Words and pause probabilities are small: hold more of them than of audio frames.
    super(out, pool, 10 * ConverseCall.MAX_UNSENT_MESSAGES, service.metrics(), "TranscribeConfig");
    this.service = service;
    this.id = id;
  }

  @Override
  protected void handle(TranscribeRequest request)
      throws EngineFullException, AudioFormatException {
    switch (request.getKindCase()) {
      case CONFIG -> start(request.getConfig());
      case AUDIO -> input.audio(request.getAudio().getData().toByteArray());
      case CONTROL -> control(request.getControl());
      case KIND_NOT_SET -> {}
    }
  }

  private void start(TranscribeConfig config) throws EngineFullException {
    if (input.isOpen()) {
      throw new IllegalArgumentException("TranscribeConfig may only be the first message");
    }
    if (!config.hasInputFormat()) {
      throw new IllegalArgumentException("TranscribeConfig.input_format is required");
    }
    if (config.getPauseProbabilitiesEverySteps() < 0) {
      throw new IllegalArgumentException(
          "pause_probabilities_every_steps must be 0 (never) or positive");
    }
    StreamFormat format = ProtoMapping.format(config.getInputFormat(), "input_format");
    SttOptions options =
        SttOptions.defaults()
            .withEndOfTurn(
                config.hasEndOfTurnHead()
                    ? config.getEndOfTurnHead()
                    : SttOptions.DEFAULT_END_OF_TURN_HEAD,
                config.hasEndOfTurnThreshold()
                    ? config.getEndOfTurnThreshold()
                    : SttOptions.DEFAULT_END_OF_TURN_THRESHOLD);
    AudioStreamDecoder dec = input.decoder(format);
    SttEngine engine = service.engine();
    TranscriptionInfo info =
        TranscriptionInfo.newBuilder()
            .setSessionId(id)
            .setModel(engine.model().name())
            .setDelayS(engine.settings().audioDelaySeconds())
            .setPauseHeads(engine.pauseHeads())
            .setEndOfTurnHead(options.endOfTurnHead())
            .setEndOfTurnThreshold((float) options.endOfTurnThreshold())
            .build();
    int every = config.getPauseProbabilitiesEverySteps();
    // The session's first step can come as soon as it opens: the session message (and the pause
    // setting) are queued ahead of it, and go out once the open has succeeded.
    CompletableFuture<Boolean> opened = new CompletableFuture<>();
    responses.execute(
        () -> {
          if (opened.join()) {
            pauseEvery = every;
            responses.send(TranscribeResponse.newBuilder().setSession(info).build());
          }
        });
    SttSession s;
    boolean ok = false;
    try {
      s = engine.open(options, this);
      ok = true;
    } finally {
      opened.complete(ok);
    }
    session = s;
    input.open(dec, s, service.maxQueuedFrames());
  }

  private void control(TranscribeControl control) throws AudioFormatException {
    if (!input.isOpen()) {
      throw new IllegalArgumentException("the first message must be a TranscribeConfig");
    }
    switch (control.getAction()) {
      case END_OF_INPUT -> input.endInput();
      case MARKER -> input.marker(control.getMarkerId());
      default -> {}
    }
  }

  /**
   * Moves decoded audio into the session; once all of it is in after the end, ends the session's
   * input.
   */
  @Override
  protected void pump() {
    if (input.pump()) {
      synchronized (this) {
        if (endSent) {
          return;
        }
        endSent = true;
      }
      session.endOfInput();
    }
  }

  // ---- engine → client (engine thread: hand off at once) ---------------------------------------

  @Override
  public void onStep(SttStep step) {
    pump();
    float[] prs = step.pauseProbabilities();
    responses.execute(
        () -> {
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
    responses.execute(
        () ->
            responses.send(
                TranscribeResponse.newBuilder()
                    .setEndOfTurn(
                        EndOfTurn.newBuilder().setStep(stepIndex).setProbability(pauseProbability))
                    .build()));
  }

  @Override
  public void onWord(int index, String text, double startSeconds) {
    responses.execute(
        () ->
            responses.send(
                TranscribeResponse.newBuilder()
                    .setWord(
                        Word.newBuilder().setIndex(index).setText(text).setStartS(startSeconds))
                    .build()));
  }

  @Override
  public void onWordEnd(int index, double stopSeconds) {
    responses.execute(
        () ->
            responses.send(
                TranscribeResponse.newBuilder()
                    .setWordEnd(WordEnd.newBuilder().setIndex(index).setEndS(stopSeconds))
                    .build()));
  }

  @Override
  public void onMarker(long markerId) {
    responses.execute(
        () ->
            responses.send(
                TranscribeResponse.newBuilder()
                    .setMarker(Marker.newBuilder().setId(markerId))
                    .build()));
  }

  @Override
  public void onTranscript(List<SttWord> words) {
    FinalTranscript.Builder f = FinalTranscript.newBuilder();
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < words.size(); i++) {
      SttWord w = words.get(i);
      f.addWords(
          Word.newBuilder()
              .setIndex(i)
              .setText(w.text())
              .setStartS(w.startSeconds())
              .setEndS(w.endSeconds()));
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

  @Override
  protected void release() {
    SttSession s = session;
    if (s != null && !s.isClosed()) {
      s.close();
    }
  }
}
