package dev.parley.server.grpc;

import com.google.protobuf.ByteString;
import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.format.AudioStreamDecoder;
import dev.parley.codec.format.AudioStreamEncoder;
import dev.parley.codec.format.StreamFormat;
import dev.parley.proto.v1.AudioChunk;
import dev.parley.proto.v1.ConverseRequest;
import dev.parley.proto.v1.ConverseResponse;
import dev.parley.proto.v1.End;
import dev.parley.proto.v1.FrameTiming;
import dev.parley.proto.v1.SessionConfig;
import dev.parley.proto.v1.SessionInfo;
import dev.parley.proto.v1.TextPiece;
import dev.parley.server.dialogue.DialogueListener;
import dev.parley.server.dialogue.DialogueOptions;
import dev.parley.server.dialogue.DialogueSession;
import dev.parley.server.dialogue.OutputFrame;
import dev.parley.server.engine.EngineFullException;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code Dialogue.Converse} call: the gRPC side of a dialogue {@link DialogueSession}.
 *
 * <p>Input is metered rather than refused: the next request message is asked for only when the
 * session's frame queue has room, so a client streaming a file faster than real time is slowed by
 * HTTP/2 flow control instead of being closed. Output waits in a bounded queue while the client is
 * not ready ({@code isReady}); a client that stops reading altogether is closed with
 * RESOURCE_EXHAUSTED. Every call on the response observer runs on one serial executor.
 */
final class ConverseCall extends SessionCall<ConverseRequest, ConverseResponse>
    implements DialogueListener {
  private static final Logger LOG = LoggerFactory.getLogger(ConverseCall.class);

  /** Output messages (about 3 per 80 ms frame) held for a client that is not reading. */
  static final int MAX_UNSENT_MESSAGES = 100;

  private final DialogueService service;
  final String id;

  // Input side: gRPC delivers requests one at a time; the engine thread calls pump() too.
  private volatile DialogueSession session;
  private boolean flushed; // guarded by this
  private volatile long lastMessageNanos = System.nanoTime();

  // Output side: the response stream's serial executor only.
  private AudioStreamEncoder encoder;
  private boolean frameTiming;

  ConverseCall(
      DialogueService service,
      ServerCallStreamObserver<ConverseResponse> out,
      Executor pool,
      String id) {
    super(out, pool, MAX_UNSENT_MESSAGES, service.metrics(), "SessionConfig");
    this.service = service;
    this.id = id;
  }

  @Override
  protected void release() {
    closeSession();
    service.forget(this);
  }

  long idleNanos() {
    return System.nanoTime() - lastMessageNanos;
  }

  // ---- client → engine ------------------------------------------------------------------------

  @Override
  protected void handle(ConverseRequest request) throws EngineFullException, AudioFormatException {
    lastMessageNanos = System.nanoTime();
    switch (request.getKindCase()) {
      case CONFIG -> start(request.getConfig());
      case AUDIO -> input.audio(request.getAudio().getData().toByteArray());
      case CONTROL -> control(request.getControl());
      case KIND_NOT_SET -> LOG.debug("{}: ignoring a request with no known field", id);
    }
  }

  private void start(SessionConfig config) throws EngineFullException {
    if (input.isOpen()) {
      throw new IllegalArgumentException("SessionConfig may only be the first message");
    }
    if (!config.hasInputFormat()) {
      throw new IllegalArgumentException("SessionConfig.input_format is required");
    }
    StreamFormat format = ProtoMapping.format(config.getInputFormat(), "input_format");
    StreamFormat output =
        config.hasOutputFormat()
            ? ProtoMapping.format(config.getOutputFormat(), "output_format")
            : StreamFormat.pcm24k();
    DialogueOptions options =
        ProtoMapping.options(
            config.getSampling(),
            service.config().textSampling(),
            service.config().audioSampling(),
            service.freshSeed());
    options = options.withPrompt(prompt(config));
    AudioStreamEncoder enc =
        AudioStreamEncoder.create(ProtoMapping.MODEL_RATE, output, this::sendAudio);
    AudioStreamDecoder dec = input.decoder(format);
    DialogueSession s = service.engine().open(options, this);
    boolean timing = config.getFrameTiming();
    SessionInfo info =
        SessionInfo.newBuilder()
            .setSessionId(id)
            .setModel(service.engine().model().name())
            .setModelSampleRateHz(ProtoMapping.MODEL_RATE)
            .setFrameRateHz(ModelAudio.FRAME_RATE)
            .setOutputFormat(ProtoMapping.proto(output))
            .setSampling(ProtoMapping.proto(options))
            .setServer(service.serverName())
            .build();
    responses.execute(
        () -> {
          encoder = enc;
          frameTiming = timing;
          responses.send(ConverseResponse.newBuilder().setSession(info).build());
        });
    session = s;
    input.open(dec, s, s.maxQueuedFrames());
    LOG.debug("{}: session open, input {}, output {}", id, format, output);
  }

  /** The config's PersonaPlex prompt, or null; bad ones are the client's error. */
  private dev.parley.server.dialogue.DialoguePrompt prompt(
      dev.parley.proto.v1.SessionConfig config) {
    String text = config.getTextPrompt();
    try {
      if (config.hasVoiceWav()) {
        return service
            .engine()
            .prompt(
                text,
                dev.parley.server.persona.PromptVoices.fromWavBytes(
                    config.getVoiceWav().toByteArray()),
                "uploaded");
      }
      return service.engine().prompt(text, config.hasVoiceName() ? config.getVoiceName() : null);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("voice prompt unreadable: " + e.getMessage());
    }
  }

  private void control(dev.parley.proto.v1.Control control) throws AudioFormatException {
    if (control.getAction() == dev.parley.proto.v1.Control.Action.END_OF_INPUT) {
      input.endInput();
    } else {
      LOG.debug("{}: ignoring control action {}", id, control.getActionValue());
    }
  }

  /**
   * Moves decoded audio into the session while its queue has room; at the end of input, pads the
   * last frame with silence and ends the call once every frame is stepped.
   */
  @Override
  protected void pump() {
    if (!input.pump()) {
      return;
    }
    DialogueSession s = session;
    synchronized (this) {
      if (!flushed) {
        flushed = true;
        s.flushWithSilence();
      }
    }
    if (s.framesConsumed() >= s.framesReceived() && s.queuedFrames() == 0) {
      finish();
    }
  }

  // ---- engine → client ------------------------------------------------------------------------

  @Override
  public void onInputConsumed(long consumed) {
    pump();
  }

  @Override
  public void onFrame(OutputFrame frame) {
    responses.execute(
        () -> {
          if (responses.isEnded()) {
            return;
          }
          long t0 = System.nanoTime();
          encoder.write(frame.pcm(), 0, frame.pcm().length);
          service.metrics().audioOut(System.nanoTime() - t0);
          if (!frame.text().isEmpty()) {
            responses.send(
                ConverseResponse.newBuilder()
                    .setText(
                        TextPiece.newBuilder()
                            .setText(frame.text())
                            .setFrameIndex(frame.index())
                            .setTimeMs(frame.index() * ModelAudio.FRAME_MILLIS))
                    .build());
          }
          long latency = System.nanoTime() - frame.inputCompletedNanos();
          service.metrics().frameLatency(latency, frame.stepNanos(), frame.latencyNanos());
          if (frameTiming) {
            responses.send(
                ConverseResponse.newBuilder()
                    .setTiming(
                        FrameTiming.newBuilder()
                            .setFrameIndex(frame.index())
                            .setServerLatencyMs(latency / 1e6)
                            .setStepMs(frame.stepNanos() / 1e6))
                    .build());
          }
        });
  }

  private void sendAudio(byte[] chunk) {
    service.metrics().bytesOut(chunk.length);
    responses.send(
        ConverseResponse.newBuilder()
            .setAudio(AudioChunk.newBuilder().setData(ByteString.copyFrom(chunk)))
            .build());
  }

  @Override
  public void onClosed(String reason) {
    if (reason == null || responses.isEnded()) {
      return;
    }
    fail(CallStatus.ofClosedSession(reason));
  }

  /** Every input frame is stepped: flush the encoder, send End, complete the call. */
  private void finish() {
    DialogueSession s = session;
    responses.execute(
        () -> {
          if (responses.isEnded()) {
            return;
          }
          encoder.finish();
          responses.send(
              ConverseResponse.newBuilder()
                  .setEnd(
                      End.newBuilder()
                          .setFrames(s.framesProduced())
                          .setInputFrames(s.framesConsumed())
                          .setDeadlineMisses(s.deadlineMisses()))
                  .build());
          responses.complete();
        });
  }

  @Override
  void fail(Status status) {
    LOG.debug("{}: {}", id, status);
    super.fail(status);
  }

  private void closeSession() {
    DialogueSession s = session;
    if (s != null && !s.isClosed()) {
      s.close();
    }
  }
}
