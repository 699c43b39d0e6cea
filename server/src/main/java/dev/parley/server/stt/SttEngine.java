package dev.parley.server.stt;

import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.mimi.MimiStreams;
import dev.parley.codec.nn.ExecMask;
import dev.parley.server.engine.DialogueEngine;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.engine.SessionSlots;
import dev.parley.server.lm.LmConfig;
import dev.parley.server.lm.LmGen;
import dev.parley.server.lm.SamplingParams;
import dev.parley.server.model.SpeechModel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batched streaming-transcription engine of one device (Kyutai STT: a Mimi encoder and an LM
 * with {@code dep_q = 0}): a fixed pool of session slots and one loop thread that, whenever any
 * session has a frame ready, steps every such session together — one batched streaming Mimi
 * encode, one LM step — while the others sit the step out with their state untouched (exec
 * masks). Sessions join and leave between steps.
 *
 * <p>Per session it drives the model as the reference driver {@code stt_from_file_pytorch.py}
 * does: {@link SttSettings#prefixFrames} silent frames first, then the client's audio frame by
 * frame (the Mimi stream is not reset after the first frame, and the LM replaces step 0's codes
 * by its initial tokens), and at the end of input {@link SttSettings#delayFrames} silent frames so
 * the last words come out. Text is greedy unless the session asks otherwise. Each step yields the
 * pause probabilities of the extra heads, words as soon as they are known
 * ({@link WordAssembler}), end-of-turn signals and markers; listeners run on the engine thread.
 * Transports only call {@link SttSession} and never touch tensors.
 */
public final class SttEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SttEngine.class);
  /** A step is due every 80 ms; one that takes longer is a deadline miss for each client frame in it. */
  public static final long FRAME_NANOS = 80_000_000L;

  private final SpeechModel model;
  private final SttSettings settings;
  private final MimiModel mimi;
  private final int maxSessions;
  private final int maxQueuedFrames;
  private final int numHeads;
  private final int headDim;
  private final MimiStreams codec;
  private final LmGen lm;
  private final SessionSlots<SttSession> slots;
  private final DialogueEngine.EngineObserver observer;
  private final Thread loop;
  private boolean released;
  private final AtomicLong steps = new AtomicLong();
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
    this(model, settings, maxSessions, maxQueuedFrames, DialogueEngine.EngineObserver.NONE);
  }

  /**
   * As above, reporting step times (Mimi encode, LM; no decode) and sessions to {@code observer}
   * (the server's metrics).
   */
  public SttEngine(SpeechModel model, SttSettings settings, int maxSessions, int maxQueuedFrames,
      DialogueEngine.EngineObserver observer) {
    this.observer = observer;
    LmConfig cfg = model.lm().config();
    if (cfg.depQ() != 0) {
      throw new IllegalArgumentException("model " + model.name() + " generates audio (dep_q " + cfg.depQ()
          + "): not a transcription model");
    }
    if (model.mimi().numCodebooks() < cfg.inputStreams()) {
      throw new IllegalArgumentException("model " + model.name() + ": the LM reads " + cfg.inputStreams()
          + " codebooks but Mimi gives " + model.mimi().numCodebooks());
    }
    if (maxSessions < 1 || maxQueuedFrames < 1) {
      throw new IllegalArgumentException("need at least one session slot and one queued frame");
    }
    this.model = model;
    this.settings = settings;
    this.mimi = model.mimi();
    this.maxSessions = maxSessions;
    this.maxQueuedFrames = maxQueuedFrames;
    this.numHeads = cfg.extraHeadsNumHeads();
    this.headDim = cfg.extraHeadsDim();
    this.codec = mimi.newStreams(model.manager(), maxSessions);
    this.lm = new LmGen(model.lm(), maxSessions, model.manager());
    this.slots = new SessionSlots<>(maxSessions);
    this.loop = new Thread(this::run, "parley-stt-engine");
    this.loop.setDaemon(true);
    this.loop.start();
  }

  public SpeechModel model() {
    return model;
  }

  public SttSettings settings() {
    return settings;
  }

  public int maxSessions() {
    return maxSessions;
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
    SttSession opened = slots.claim(s -> {
      SttSession session = new SttSession(this, s, options, settings, listener, maxQueuedFrames);
      // A model with fewer heads than asked uses its last one; one without heads never signals.
      session.endOfTurnHead = numHeads == 0 ? -1 : Math.min(options.endOfTurnHead(), numHeads - 1);
      session.words = new WordAssembler(model.tokenizer(), settings.frameRate(), settings.offsetSeconds());
      return session;
    });
    observer.sessionOpened();
    return opened;
  }

  public int activeSessions() {
    return slots.occupied();
  }

  /** Engine steps so far (each carries one frame of every session that had one). */
  public long steps() {
    return steps.get();
  }

  /** Client frames, over all sessions, stepped more than 80 ms late. */
  public long deadlineMisses() {
    return deadlineMisses.get();
  }

  void wakeUp() {
    slots.wakeUp();
  }

  void closeSession(SttSession session, String reason) {
    if (!release(session)) {
      return;
    }
    try {
      session.listener.onClosed(reason);
    } catch (RuntimeException e) {
      LOG.warn("onClosed listener failed", e);
    }
  }

  /** Marks the session closed and frees its slot; false if it was closed already. */
  private boolean release(SttSession session) {
    boolean released = slots.release(session.slot, session, () -> session.closed = true);
    if (released) {
      observer.sessionClosed(null);
    }
    return released;
  }

  private void run() {
    long[] completedAt = new long[1];
    float[][] one = new float[1][];
    while (slots.isRunning()) {
      SttSession[] batch = new SttSession[maxSessions];
      SttSession.Source[] sources = new SttSession.Source[maxSessions];
      float[][] pcm = new float[maxSessions][];
      List<SttSession> finished = new ArrayList<>();
      boolean any = false;
      slots.lock();
      try {
        slots.gather(session -> session.closed ? -1 : session.readySince());
        for (int s = 0; s < maxSessions; s++) {
          SttSession session = slots.get(s);
          if (session == null || session.closed) {
            continue;
          }
          if (!session.initialized) {
            codec.reset(s);
            lm.configure(s, session.options.text(), SamplingParams.GREEDY, session.options.seed());
            session.initialized = true;
          }
          SttSession.Source src = session.nextFrame(one, completedAt);
          if (src != null) {
            batch[s] = session;
            sources[s] = src;
            pcm[s] = one[0];
            any = true;
          } else if (session.finishedInput()) {
            finished.add(session);
          }
        }
        if (!any && finished.isEmpty()) {
          if (!slots.awaitWork(20)) {
            return;
          }
          continue;
        }
      } finally {
        slots.unlock();
      }
      for (SttSession s : finished) {
        complete(s);
      }
      if (!any) {
        continue;
      }
      try {
        step(batch, sources, pcm);
      } catch (RuntimeException e) {
        LOG.error("transcription step failed; closing the sessions in it", e);
        for (SttSession s : batch) {
          if (s != null) {
            closeSession(s, "internal error: " + e.getMessage());
          }
        }
      }
    }
  }

  private void step(SttSession[] batch, SttSession.Source[] sources, float[][] pcm) {
    long t0 = System.nanoTime();
    boolean[] active = new boolean[maxSessions];
    for (int s = 0; s < maxSessions; s++) {
      active[s] = batch[s] != null;
    }
    long[][] codes = mimi.encodeFrame(pcm, codec, ExecMask.of(active));
    long t1 = System.nanoTime();
    LmGen.Step out = lm.step(codes, active);
    long total = System.nanoTime() - t0;
    int size = 0;
    for (boolean a : active) {
      size += a ? 1 : 0;
    }
    observer.stepTimed(size, t1 - t0, total - (t1 - t0), 0, total);
    steps.incrementAndGet();
    boolean late = total > deadlineNanos;
    float[] heads = out.extraHeads();
    for (int s = 0; s < maxSessions; s++) {
      SttSession session = batch[s];
      if (session == null) {
        continue;
      }
      if (sources[s] == SttSession.Source.CLIENT) {
        session.clientFramesConsumed++;
        if (late) {
          session.deadlineMisses++;
          deadlineMisses.incrementAndGet();
        }
      }
      float[] prs = new float[numHeads];
      for (int h = 0; h < numHeads; h++) {
        prs[h] = heads[(s * numHeads + h) * headDim];
      }
      long index = session.stepsTaken;
      session.stepsTaken = index + 1;
      try {
        deliver(session, index, out.textToken()[s], prs, total);
      } catch (RuntimeException e) {
        LOG.error("transcription listener failed; closing its session", e);
        closeSession(session, "internal error: " + e.getMessage());
      }
    }
  }

  /** One step's events for one session, in the reference order: step, end of turn, words, markers. */
  private void deliver(SttSession session, long index, long token, float[] prs, long stepNanos) {
    if (session.closed) {
      return;
    }
    SttListener l = session.listener;
    l.onStep(new SttStep(index, token, prs, session.bufferedSamples(), stepNanos));
    // stt_from_file_pytorch.py --vad: signal when the head crosses the threshold, once until the next text token.
    int head = session.endOfTurnHead;
    if (head >= 0 && prs[head] > session.options.endOfTurnThreshold() && !session.endOfTurnSignalled) {
      session.endOfTurnSignalled = true;
      l.onEndOfTurn(index, prs[head]);
    }
    if (token != WordAssembler.END_OF_PADDING_ID && token != WordAssembler.PADDING_ID) {
      session.endOfTurnSignalled = false;
    }
    emit(l, session.words.push(token));
    for (long id : session.dueMarkers(session.stepsTaken, false)) {
      l.onMarker(id);
    }
  }

  private static void emit(SttListener l, List<WordAssembler.Event> events) {
    for (WordAssembler.Event e : events) {
      if (e instanceof WordAssembler.WordStart w) {
        l.onWord(w.index(), w.text(), w.startSeconds());
      } else if (e instanceof WordAssembler.WordEnd w) {
        l.onWordEnd(w.index(), w.stopSeconds());
      }
    }
  }

  /**
   * The input ended and the flush is done: the last words and any markers left, then the slot is
   * freed (so a client may open its next session as soon as it has the transcript), then the
   * transcript and the close.
   */
  private void complete(SttSession session) {
    if (session.closed) {
      return;
    }
    SttListener l = session.listener;
    try {
      emit(l, session.words.finish());
      for (long id : session.dueMarkers(session.stepsTaken, true)) {
        l.onMarker(id);
      }
    } catch (RuntimeException e) {
      LOG.error("transcription listener failed; closing its session", e);
      closeSession(session, "internal error: " + e.getMessage());
      return;
    }
    if (!release(session)) {
      return;
    }
    String reason = null;
    try {
      l.onTranscript(session.words.words());
    } catch (RuntimeException e) {
      LOG.error("transcription listener failed", e);
      reason = "internal error: " + e.getMessage();
    }
    try {
      l.onClosed(reason);
    } catch (RuntimeException e) {
      LOG.warn("onClosed listener failed", e);
    }
  }

  /** Stops the loop and closes every session with {@code reason}; frees the engine's native state. */
  public void shutdown(String reason) {
    List<SttSession> open = slots.stop();
    try {
      loop.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (SttSession s : open) {
      closeSession(s, reason);
    }
    synchronized (this) {
      if (!released && !loop.isAlive()) {
        released = true;
        lm.close();
        codec.close();
      }
    }
  }

  @Override
  public void close() {
    shutdown("server shutting down");
  }
}
