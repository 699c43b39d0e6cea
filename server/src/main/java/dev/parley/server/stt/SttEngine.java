package dev.parley.server.stt;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.server.engine.BatchedEngine;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.engine.EngineLoop;
import dev.parley.server.engine.EngineObserver;
import dev.parley.server.lm.LmConfig;
import dev.parley.server.model.SpeechModel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The batched streaming-transcription engine of one device (Kyutai STT: a Mimi encoder and an LM
 * with {@code dep_q = 0}): a fixed pool of session slots and one loop thread that, whenever any
 * session has a frame ready, steps every such session together ({@link TranscriptionStep}) while
 * the others sit the step out with their state untouched (exec masks). Sessions join and leave
 * between steps.
 *
 * <p>Per session it drives the model as the reference driver {@code stt_from_file_pytorch.py} does:
 * {@link SttSettings#prefixFrames} silent frames first, then the client's audio frame by frame, and
 * at the end of input {@link SttSettings#delayFrames} silent frames so the last words come out.
 * Text is greedy unless the session asks otherwise. Each step yields the pause probabilities of the
 * extra heads, words as soon as they are known ({@link WordAssembler}), end-of-turn signals and
 * markers; listeners run on the engine thread. Transports only call {@link SttSession} and never
 * touch tensors.
 */
public final class SttEngine extends BatchedEngine<SttSession> {
  /**
   * A step is due every 80 ms; one that takes longer is a deadline miss for each client frame in
   * it.
   */
  public static final long FRAME_NANOS = ModelAudio.FRAME_NANOS;

  private final SpeechModel model;
  private final SttSettings settings;
  private final int maxQueuedFrames;
  private final int numHeads;
  private final AtomicLong deadlineMisses = new AtomicLong();

  /** The step deadline ({@link #FRAME_NANOS}; tests shorten it). */
  volatile long deadlineNanos = FRAME_NANOS;

  /**
   * Starts the engine thread for {@code model} (a transcription model: no generated audio).
   *
   * @param maxSessions slots, i.e. the batch size of every step
   * @param maxQueuedFrames client frames a session may have waiting before it is closed with an
   *     overflow error
   */
  public SttEngine(SpeechModel model, int maxSessions, int maxQueuedFrames) {
    this(model, SttSettings.of(model), maxSessions, maxQueuedFrames);
  }

  /** As {@link #SttEngine(SpeechModel, int, int)} with explicit prefix and delay settings. */
  public SttEngine(SpeechModel model, SttSettings settings, int maxSessions, int maxQueuedFrames) {
    this(model, settings, maxSessions, maxQueuedFrames, EngineObserver.NONE);
  }

  /**
   * As above, reporting step times (Mimi encode, LM; no decode) and sessions to {@code observer}
   * (the server's metrics).
   */
  public SttEngine(
      SpeechModel model,
      SttSettings settings,
      int maxSessions,
      int maxQueuedFrames,
      EngineObserver observer) {
    super(
        new EngineLoop<>(
            "parley-stt-engine",
            maxSessions,
            SttSession[]::new,
            observer,
            EngineLoop.Pacing.REAL_TIME));
    LmConfig cfg = model.lm().config();
    if (cfg.depQ() != 0) {
      throw new IllegalArgumentException(
          "model "
              + model.name()
              + " generates audio (dep_q "
              + cfg.depQ()
              + "): not a transcription model");
    }
    if (model.mimi().numCodebooks() < cfg.inputStreams()) {
      throw new IllegalArgumentException(
          "model "
              + model.name()
              + ": the LM reads "
              + cfg.inputStreams()
              + " codebooks but Mimi gives "
              + model.mimi().numCodebooks());
    }
    if (maxSessions < 1 || maxQueuedFrames < 1) {
      throw new IllegalArgumentException("need at least one session slot and one queued frame");
    }
    this.model = model;
    this.settings = settings;
    this.maxQueuedFrames = maxQueuedFrames;
    this.numHeads = cfg.extraHeadsNumHeads();
    loop.start(new TranscriptionStep(this, loop, model, maxSessions, observer, deadlineMisses));
  }

  public SpeechModel model() {
    return model;
  }

  public SttSettings settings() {
    return settings;
  }

  /** Extra heads of the model: the length of every {@link SttStep#pauseProbabilities()}. */
  public int pauseHeads() {
    return numHeads;
  }

  /**
   * Opens a session in a free slot; its streaming state starts fresh before its first step.
   *
   * @throws EngineFullException when every slot is taken
   * @throws IllegalStateException after {@link #shutdown}
   */
  public SttSession open(SttOptions options, SttListener listener) throws EngineFullException {
    // A model with fewer heads than asked uses its last one; one without heads never signals.
    int endOfTurnHead = numHeads == 0 ? -1 : Math.min(options.endOfTurnHead(), numHeads - 1);
    return loop.open(
        s ->
            new SttSession(
                s,
                options,
                settings,
                listener,
                maxQueuedFrames,
                new WordAssembler(
                    model.tokenizer(), settings.frameRate(), settings.offsetSeconds()),
                endOfTurnHead));
  }

  /** Client frames, over all sessions, stepped more than 80 ms late. */
  public long deadlineMisses() {
    return deadlineMisses.get();
  }
}
