package dev.parley.server.engine;

import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.mimi.MimiStreams;
import dev.parley.codec.nn.ExecMask;
import dev.parley.server.lm.LmGen;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.text.TextTokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batched dialogue engine of one device: a fixed pool of session slots and one loop thread
 * that, whenever any session has a complete 80 ms frame, steps every such session together —
 * one batched Mimi encode, one LM step, one batched Mimi decode — in the reference order
 * ({@code server.py}): the first frame of a session is encoded, then that slot's Mimi state is
 * reset, and the LM (which ignores its input at step 0) still takes those codes. Slots without a
 * frame sit the step out with their state untouched (exec masks), so a stalled client never
 * stalls the others. Transports only call {@link Session} and never touch tensors.
 */
public final class DialogueEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DialogueEngine.class);
  /** A step is due every 80 ms; one that takes longer is a deadline miss for each session in it. */
  public static final long FRAME_NANOS = 80_000_000L;

  private final SpeechModel model;
  private final MimiModel mimi;
  private final TextTokenizer tokenizer;
  private final int maxSessions;
  private final int maxQueuedFrames;
  private final MimiStreams codec;
  private final LmGen lm;
  private final SessionSlots<Session> slots;
  private final Thread loop;
  private final AtomicLong steps = new AtomicLong();
  private final AtomicLong deadlineMisses = new AtomicLong();
  private final EngineObserver observer;

  /** Stage timings and counts, for metrics. */
  public interface EngineObserver {
    EngineObserver NONE = new EngineObserver() {};

    default void stepTimed(int batch, long encodeNanos, long lmNanos, long decodeNanos, long totalNanos) {}

    default void sessionOpened() {}

    default void sessionClosed(String reason) {}
  }

  public DialogueEngine(SpeechModel model, int maxSessions, int maxQueuedFrames, EngineObserver observer) {
    if (model.lm().config().depQ() == 0) {
      throw new IllegalArgumentException("model " + model.name() + " generates no audio: not a dialogue model");
    }
    this.model = model;
    this.mimi = model.mimi();
    this.tokenizer = model.tokenizer();
    this.maxSessions = maxSessions;
    this.maxQueuedFrames = maxQueuedFrames;
    this.observer = observer;
    this.codec = mimi.newStreams(model.manager(), maxSessions);
    this.lm = new LmGen(model.lm(), maxSessions, model.manager());
    this.slots = new SessionSlots<>(maxSessions);
    this.loop = new Thread(this::run, "parley-engine");
    this.loop.setDaemon(true);
    this.loop.start();
  }

  public SpeechModel model() {
    return model;
  }

  public int maxSessions() {
    return maxSessions;
  }

  /** Opens a session in a free slot; its streaming state starts fresh. */
  public Session open(SessionOptions options, SessionListener listener) throws EngineFullException {
    // The slot's tensors are reset by the engine thread before the session's first step: a step
    // may be running right now, and only that thread touches model state.
    Session session = slots.claim(s -> new Session(this, s, options, listener, maxQueuedFrames));
    observer.sessionOpened();
    return session;
  }

  public int activeSessions() {
    return slots.occupied();
  }

  public long steps() {
    return steps.get();
  }

  public long deadlineMisses() {
    return deadlineMisses.get();
  }

  void wakeUp() {
    slots.wakeUp();
  }

  void closeSession(Session session, String reason) {
    boolean closedNow = slots.release(session.slot, session, () -> session.closed = true);
    if (closedNow) {
      observer.sessionClosed(reason);
      session.listener.onClosed(reason);
    }
  }

  private void run() {
    long[] completedAt = new long[1];
    while (slots.isRunning()) {
      Session[] batch = new Session[maxSessions];
      float[][] pcm = new float[maxSessions][];
      long[] frameTime = new long[maxSessions];
      boolean any = false;
      slots.lock();
      try {
        slots.gather(session -> session.closed ? -1 : session.oldestFrameTime());
        for (int s = 0; s < maxSessions; s++) {
          Session session = slots.get(s);
          if (session != null && !session.initialized) {
            codec.reset(s);
            lm.configure(s, session.options.text(), session.options.audio(), session.options.seed());
            session.initialized = true;
          }
          if (session != null && !session.closed) {
            float[] f = session.pollFrame(completedAt);
            if (f != null) {
              batch[s] = session;
              pcm[s] = f;
              frameTime[s] = completedAt[0];
              any = true;
            }
          }
        }
        if (!any) {
          if (!slots.awaitWork(20)) {
            return;
          }
          continue;
        }
      } finally {
        slots.unlock();
      }
      try {
        step(batch, pcm, frameTime);
      } catch (RuntimeException e) {
        LOG.error("engine step failed; closing the sessions in it", e);
        for (Session s : batch) {
          if (s != null) {
            closeSession(s, "internal error: " + e.getMessage());
          }
        }
      }
    }
  }

  private void step(Session[] batch, float[][] pcm, long[] frameTime) {
    long t0 = System.nanoTime();
    boolean[] active = new boolean[maxSessions];
    for (int s = 0; s < maxSessions; s++) {
      active[s] = batch[s] != null;
    }
    long[][] codes = mimi.encodeFrame(pcm, codec, ExecMask.of(active));
    for (int s = 0; s < maxSessions; s++) {
      if (active[s] && batch[s].inputFrames++ == 0) {
        codec.reset(s); // the first frame's special structure must not leak into the next (MIMI.md §7)
      }
    }
    long t1 = System.nanoTime();
    LmGen.Step out = lm.step(codes, active);
    long t2 = System.nanoTime();
    boolean[] produced = out.produced();
    long[][] audio = new long[maxSessions][];
    boolean anyProduced = false;
    for (int s = 0; s < maxSessions; s++) {
      if (produced[s]) {
        audio[s] = Arrays.copyOfRange(out.frame()[s], 1, 1 + mimi.numCodebooks());
        anyProduced = true;
      }
    }
    float[][] decoded = anyProduced ? mimi.decodeFrame(audio, codec, ExecMask.of(produced)) : null;
    long t3 = System.nanoTime();
    long total = t3 - t0;
    boolean late = total > FRAME_NANOS;
    int size = 0;
    for (int s = 0; s < maxSessions; s++) {
      Session session = batch[s];
      if (session == null) {
        continue;
      }
      size++;
      if (late) {
        session.deadlineMisses++;
        deadlineMisses.incrementAndGet();
      }
      if (produced[s] && !session.closed) {
        long token = out.frame()[s][0];
        String text = token >= 0 && token < tokenizer.vocabSize() && tokenizer.isPrintedInDialogue((int) token)
            ? tokenizer.textOf((int) token) : "";
        session.listener.onFrame(new OutputFrame(session.outputFrames++, token, text, audio[s], decoded[s],
            frameTime[s], t3 - frameTime[s], total));
      }
      if (!session.closed) {
        session.listener.onInputConsumed(session.inputFrames); // after its output: a transport may end here
      }
    }
    steps.incrementAndGet();
    observer.stepTimed(size, t1 - t0, t2 - t1, t3 - t2, total);
  }

  /** Stops the loop and closes every session with {@code reason}. */
  public void shutdown(String reason) {
    List<Session> open = slots.stop();
    try {
      loop.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Session s : open) {
      closeSession(s, reason);
    }
    lm.close();
    codec.close();
  }

  @Override
  public void close() {
    shutdown("server shutting down");
  }
}
