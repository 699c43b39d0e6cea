package dev.parley.server.tts;

import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.mimi.MimiStreams;
import dev.parley.codec.nn.ExecMask;
import dev.parley.server.engine.DialogueEngine;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.engine.SessionSlots;
import dev.parley.server.lm.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batched text-to-speech engine of one device: a fixed pool of session slots and one loop
 * thread that steps together every session that can make progress — one {@link TtsGen} step (the
 * state machine choosing each session's text input) and one batched streaming Mimi decode of the
 * frames that hold audio — while the others sit the step out with their state untouched.
 *
 * <p>Steps are not tied to the 80 ms clock: a session with words to speak runs as fast as compute
 * allows (moshi-server's {@code is_active}: the next word and the {@code second_stream_ahead} words
 * after it are known, or the text has ended). When streamed text runs dry the session waits, and
 * once its audio is less than {@link TtsSettings#underrunLeadSeconds} ahead of real-time playback
 * it steps with forced pads so the words already given keep coming out. Frames before the text
 * lead ({@code delay_steps}) hold no audio and are not decoded, as in the reference; the session
 * stops {@code delay_steps + final_padding} steps after its last word, as {@code TTSModel.generate}.
 */
public final class TtsEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TtsEngine.class);
  static final double FRAME_SECONDS = 1 / TtsConfig.FRAME_RATE;

  private final SynthesisModel model;
  private final TtsSettings settings;
  private final TtsStateMachine machine;
  private final int maxSessions;
  private final int delaySteps;
  private final MimiModel mimi;
  private final MimiStreams codec;
  private final TtsGen gen;
  private final SessionSlots<TtsSession> slots;
  private final DialogueEngine.EngineObserver observer;
  private final Thread loop;
  private boolean released;
  private final AtomicLong steps = new AtomicLong();

  public TtsEngine(SynthesisModel model, TtsSettings settings, int maxSessions) {
    this(model, settings, maxSessions, DialogueEngine.EngineObserver.NONE);
  }

  /** Starts the engine thread; step times (model, decode) and sessions go to {@code observer}. */
  public TtsEngine(SynthesisModel model, TtsSettings settings, int maxSessions,
      DialogueEngine.EngineObserver observer) {
    if (maxSessions < 1) {
      throw new IllegalArgumentException("need at least one session slot");
    }
    TtsConfig cfg = model.config();
    if (settings.codebooks() > cfg.lm().depQ()) {
      throw new IllegalArgumentException("the model generates at most " + cfg.lm().depQ() + " codebooks, asked for "
          + settings.codebooks());
    }
    this.model = model;
    this.settings = settings;
    this.observer = observer;
    this.maxSessions = maxSessions;
    this.delaySteps = cfg.delaySteps();
    this.machine = new TtsStateMachine(cfg.textCard(), cfg.secondStreamAhead(), settings.maxPadding(),
        settings.initialPadding());
    this.mimi = model.mimi();
    this.codec = mimi.newStreams(model.manager(), maxSessions);
    // Distilled models take the CFG strength as a condition; the others get classic batch-doubled CFG.
    double classicCfg = cfg.validCfgValues().isEmpty() ? settings.cfgCoef() : 1.0;
    this.gen = new TtsGen(model.tts(), maxSessions, settings.codebooks(), classicCfg, model.manager());
    this.slots = new SessionSlots<>(maxSessions);
    this.loop = new Thread(this::run, "parley-tts-engine");
    this.loop.setDaemon(true);
    this.loop.start();
  }

  public SynthesisModel model() {
    return model;
  }

  public TtsSettings settings() {
    return settings;
  }

  public VoiceLibrary voices() {
    return model.voices();
  }

  public int maxSessions() {
    return maxSessions;
  }

  public int activeSessions() {
    return slots.occupied();
  }

  /** Engine steps so far. */
  public long steps() {
    return steps.get();
  }

  /**
   * Opens a synthesis in a free slot. Voices are resolved here, so an unknown voice or a bad
   * embedding fails the call ({@link UnknownVoiceException}, {@link IllegalArgumentException}).
   *
   * @throws EngineFullException when every slot is taken
   */
  public TtsSession open(TtsOptions options, TtsListener listener) throws EngineFullException {
    TtsConfig cfg = model.config();
    List<String> names = new ArrayList<>();
    TensorCondition voices = null;
    if (cfg.multiSpeaker()) {
      List<Voice> chosen = new ArrayList<>();
      if (options.customVoice() != null) {
        chosen.add(options.customVoice());
        names.add(options.customVoice().name());
      } else {
        List<String> asked = options.voices().isEmpty() ? List.of(model.voices().defaultVoice()) : options.voices();
        for (String n : asked) {
          Voice v = model.voices().get(n);
          chosen.add(v);
          names.add(v.name());
        }
        if (chosen.size() == 1) {
          chosen.add(chosen.get(0)); // one voice speaks every turn, in both speaker slots (moshi-server)
        }
      }
      int dim = cfg.conditioners().get("speaker_wavs").dim();
      int stepsPerVoice = chosen.get(0).steps();
      List<float[]> wavs = new ArrayList<>();
      for (Voice v : chosen) {
        if (v.dim() != dim || v.steps() != stepsPerVoice) {
          throw new IllegalArgumentException("voice " + v.name() + " is [1, " + v.dim() + ", " + v.steps()
              + "]; this model needs [1, " + dim + ", " + stepsPerVoice + "]");
        }
        wavs.add(v.speakerWavs());
      }
      voices = TensorCondition.voices(wavs, dim, stepsPerVoice, cfg.maxSpeakers());
    } else if (options.customVoice() != null || !options.voices().isEmpty()) {
      throw new IllegalArgumentException("model " + model.name() + " has no voice conditioning");
    }
    Double cfgCoef = cfg.validCfgValues().isEmpty() ? null
        : options.cfgCoef() != null ? options.cfgCoef() : settings.cfgCoef();
    ConditionAttributes attributes = ConditionAttributes.forTts(cfg, voices, cfgCoef);
    float temp = options.temperature() != null ? options.temperature() : settings.temperature();
    if (!(temp >= 0 && temp <= 5)) {
      throw new IllegalArgumentException("temperature must be in [0, 5], got " + temp);
    }
    SamplingParams sampling = temp == 0 ? SamplingParams.GREEDY : new SamplingParams(temp, 250, 0);
    long seed = options.seed() != null ? options.seed() : ThreadLocalRandom.current().nextLong();
    // Named voices recur: their conditions are computed once and copied into later sessions.
    String conditionKey = options.customVoice() != null ? null : String.join("\n", names) + "|" + cfgCoef;
    TtsSession opened = slots.claim(s -> new TtsSession(this, s, listener, attributes, conditionKey, names, sampling,
        sampling, seed, new TextFeed(new Script.Builder(model.tokenizer(), cfg.multiSpeaker(), settings.paddingBetween(),
            TtsConfig.FRAME_RATE)),
        machine.newStreamingState(), settings.maxTextChars()));
    observer.sessionOpened();
    return opened;
  }

  /**
   * A whole script at once (speaker turns alternate between the voices) and the end of text:
   * what {@code Synthesize} and {@code POST /api/tts} do.
   */
  public TtsSession synthesize(List<String> turns, TtsOptions options, TtsListener listener)
      throws EngineFullException {
    long chars = 0;
    boolean blank = true;
    for (String t : turns) {
      chars += t.length();
      blank &= t.isBlank();
    }
    if (blank) {
      throw new IllegalArgumentException("no text to speak");
    }
    if (chars > settings.maxTextChars()) {
      throw new IllegalArgumentException("text longer than " + settings.maxTextChars() + " characters");
    }
    TtsSession session = open(options, listener);
    try {
      session.pushTurns(turns);
    } catch (RuntimeException e) {
      session.close(e.getMessage());
      throw e;
    }
    return session;
  }

  void underLock(Runnable r) {
    slots.lock();
    try {
      r.run();
    } finally {
      slots.unlock();
    }
  }

  void wakeUp() {
    slots.wakeUp();
  }

  void closeSession(TtsSession session, String reason) {
    if (!release(session)) {
      return;
    }
    try {
      session.listener.onClosed(reason);
    } catch (RuntimeException e) {
      LOG.warn("onClosed listener failed", e);
    }
  }

  private boolean release(TtsSession session) {
    boolean done = slots.release(session.slot, session, () -> session.closed = true);
    if (done) {
      observer.sessionClosed(null);
    }
    return done;
  }

  private void run() {
    while (slots.isRunning()) {
      TtsSession[] batch = new TtsSession[maxSessions];
      List<TtsSession> fresh = new ArrayList<>();
      List<TtsSession> finished = new ArrayList<>();
      List<TtsSession> overLimit = new ArrayList<>();
      boolean any = false;
      long waitNanos = 20_000_000L;
      slots.lock();
      try {
        long now = System.nanoTime();
        for (int s = 0; s < maxSessions; s++) {
          TtsSession session = slots.get(s);
          if (session == null || session.closed) {
            continue;
          }
          if (!session.initialized) {
            fresh.add(session);
            continue;
          }
          session.drainInbox();
          Long end = session.state.endStep();
          long offset = gen.offset(s);
          if (end != null && offset >= end + delaySteps + settings.finalPadding()) {
            finished.add(session);
          } else if (offset >= settings.maxSteps()) {
            overLimit.add(session);
          } else if (session.started() && session.outputReady()) {
            long wait = nanosUntilDue(session, now);
            if (wait <= 0) {
              batch[s] = session;
              any = true;
            } else {
              waitNanos = Math.min(waitNanos, wait);
            }
          }
        }
        if (!any && fresh.isEmpty() && finished.isEmpty() && overLimit.isEmpty()) {
          if (!slots.awaitWork(Math.max(1, waitNanos / 1_000_000))) {
            return;
          }
          continue;
        }
      } finally {
        slots.unlock();
      }
      // A start computes the voice's conditions unless they are cached (a client's own voice):
      // while others are stepping, start one session per step so a burst of arrivals never
      // holds the running streams for more than one start.
      int starts = any ? Math.min(1, fresh.size()) : fresh.size();
      for (int i = 0; i < starts; i++) {
        initialize(fresh.get(i));
      }
      for (TtsSession s : finished) {
        complete(s);
      }
      for (TtsSession s : overLimit) {
        closeSession(s, "synthesis reached the limit of " + settings.maxSteps() + " steps ("
            + settings.maxSteps() / TtsConfig.FRAME_RATE + " s)");
      }
      if (any) {
        try {
          step(batch);
        } catch (RuntimeException e) {
          LOG.error("synthesis step failed; closing the sessions in it", e);
          for (TtsSession s : batch) {
            if (s != null) {
              closeSession(s, "internal error: " + e.getMessage());
            }
          }
        }
      }
    }
  }

  /** 0 when the session should step now, else how long until its playback would run dry. */
  private long nanosUntilDue(TtsSession session, long now) {
    if (session.state.canTakeWord(machine.secondStreamAhead())) {
      return 0;
    }
    if (settings.underrunLeadSeconds() <= 0 || session.firstAudioAt < 0) {
      return Long.MAX_VALUE; // wait for text, as moshi-server does
    }
    double aheadSeconds = session.framesSent * FRAME_SECONDS - (now - session.firstAudioAt) / 1e9;
    return (long) ((aheadSeconds - settings.underrunLeadSeconds()) * 1e9);
  }

  private void initialize(TtsSession session) {
    try {
      gen.start(session.slot, session.attributes, session.conditionKey, session.text, session.audio, session.seed,
          settings.paddingBonus());
      codec.reset(session.slot);
      session.initialized = true;
      slots.wakeUp();
    } catch (RuntimeException e) {
      LOG.warn("could not start a synthesis", e);
      closeSession(session, "could not start: " + e.getMessage());
    }
  }

  private void step(TtsSession[] batch) {
    long t0 = System.nanoTime();
    boolean[] active = new boolean[maxSessions];
    int size = 0;
    for (int s = 0; s < maxSessions; s++) {
      active[s] = batch[s] != null;
      size += active[s] ? 1 : 0;
    }
    TtsGen.Step out = gen.step(active, (slot, offset, sampled) -> machine.process(offset, batch[slot].state, sampled));
    long t1 = System.nanoTime();
    long[][] codes = new long[maxSessions][];
    boolean[] decode = new boolean[maxSessions];
    boolean anyAudio = false;
    for (int s = 0; s < maxSessions; s++) {
      TtsSession session = batch[s];
      if (session == null || !out.produced()[s]) {
        continue;
      }
      long index = session.framesReturned++;
      if (index >= delaySteps) { // earlier frames hold −1 audio: the reference never decodes them
        codes[s] = Arrays.copyOfRange(out.frame()[s], 1, out.frame()[s].length);
        decode[s] = true;
        anyAudio = true;
      }
    }
    float[][] pcm = anyAudio ? mimi.decodeFrame(codes, codec, ExecMask.of(decode)) : null;
    long t2 = System.nanoTime();
    observer.stepTimed(size, 0, t1 - t0, t2 - t1, t2 - t0);
    steps.incrementAndGet();
    for (int s = 0; s < maxSessions; s++) {
      TtsSession session = batch[s];
      if (session == null || session.closed) {
        continue;
      }
      session.steps++;
      session.computeNanos += t2 - t0;
      try {
        emitWords(session, false);
        if (decode[s]) {
          float[] frame = pcm[s];
          for (int i = 0; i < frame.length; i++) {
            frame[i] = Math.max(-1f, Math.min(1f, frame[i]));
          }
          if (session.firstAudioAt < 0) {
            session.firstAudioAt = System.nanoTime();
            session.firstAudioNanos = session.firstAudioAt - session.firstTextAt;
            session.stepsToFirstAudio = session.steps;
            session.computeToFirstAudio = session.computeNanos;
          }
          session.framesSent++;
          session.listener.onAudio(frame);
        }
      } catch (RuntimeException e) {
        LOG.error("synthesis listener failed; closing its session", e);
        closeSession(session, "internal error: " + e.getMessage());
      }
    }
  }

  /** Words whose end is known: the next entry was consumed, or the text ended ({@code all}). */
  private void emitWords(TtsSession session, boolean all) {
    TtsStateMachine.State st = session.state;
    while (session.wordsEmitted < st.transcriptSize()) {
      TtsStateMachine.Word w = st.word(session.wordsEmitted);
      long end;
      if (w.entryIndex() + 1 < st.consumedEntries()) {
        end = st.consumptionStep(w.entryIndex() + 1);
      } else if (st.endStep() != null) {
        end = st.endStep();
      } else if (all) {
        end = gen.offset(session.slot);
      } else {
        return;
      }
      session.listener.onWord(new TtsWord(session.wordsEmitted, w.text(), w.step() * FRAME_SECONDS,
          end * FRAME_SECONDS));
      session.wordsEmitted++;
    }
  }

  private void complete(TtsSession session) {
    if (session.closed) {
      return;
    }
    try {
      emitWords(session, true);
      TtsSummary summary = session.summary();
      if (!release(session)) {
        return;
      }
      session.listener.onEnd(summary);
    } catch (RuntimeException e) {
      LOG.error("synthesis listener failed", e);
    }
    try {
      session.listener.onClosed(null);
    } catch (RuntimeException e) {
      LOG.warn("onClosed listener failed", e);
    }
  }

  /** Stops the loop and closes every session with {@code reason}; frees the engine's native state. */
  public void shutdown(String reason) {
    List<TtsSession> open = slots.stop();
    try {
      loop.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (TtsSession s : open) {
      closeSession(s, reason);
    }
    synchronized (this) {
      if (!released && !loop.isAlive()) {
        released = true;
        gen.close();
        codec.close();
      }
    }
  }

  @Override
  public void close() {
    shutdown("server shutting down");
  }
}
