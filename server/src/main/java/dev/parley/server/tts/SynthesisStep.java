package dev.parley.server.tts;

import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.mimi.MimiStreams;
import dev.parley.codec.nn.ExecMask;
import dev.parley.server.engine.BatchStep;
import dev.parley.server.engine.EngineLoop;
import dev.parley.server.engine.EngineObserver;
import dev.parley.server.engine.Turn;
import java.util.Arrays;

/**
 * The synthesis step: one {@link TtsGen} step (the state machine choosing each session's text
 * input) and one batched streaming Mimi decode of the frames that hold audio, then each session's
 * words and audio. Decides which sessions step: those with words to speak, or whose real-time
 * playback would otherwise run dry, and whose transport can take output. Holds the batched
 * streaming state of the model and the codec; engine thread only.
 */
final class SynthesisStep implements BatchStep<TtsSession> {
  private static final double FRAME_SECONDS = 1 / TtsConfig.FRAME_RATE;

  private final TtsSettings settings;
  private final TtsStateMachine machine;
  private final int delaySteps;
  private final MimiModel mimi;
  private final MimiStreams codec;
  private final TtsGen gen;
  private final EngineObserver observer;
  private final EngineLoop<TtsSession> loop;

  SynthesisStep(
      EngineLoop<TtsSession> loop,
      SynthesisModel model,
      TtsSettings settings,
      TtsStateMachine machine,
      int maxSessions,
      EngineObserver observer) {
    this.loop = loop;
    TtsConfig cfg = model.config();
    this.settings = settings;
    this.machine = machine;
    this.observer = observer;
    this.delaySteps = cfg.delaySteps();
    this.mimi = model.mimi();
    this.codec = mimi.newStreams(model.manager(), maxSessions);
    // Distilled models take the CFG strength as a condition; the others get classic batch-doubled
    // CFG.
    double classicCfg = cfg.validCfgValues().isEmpty() ? settings.cfgCoef() : 1.0;
    this.gen =
        new TtsGen(model.tts(), maxSessions, settings.codebooks(), classicCfg, model.manager());
  }

  /**
   * Computes the voice's conditions (unless cached) into the slot; may take a while for a client's
   * own voice.
   */
  @Override
  public void start(TtsSession session) {
    gen.start(
        session.slot(),
        session.attributes,
        session.conditionKey,
        session.text,
        session.audio,
        session.seed,
        settings.paddingBonus());
    codec.reset(session.slot());
  }

  /** The model's and the codec's streaming state follow the session to its new slot. */
  @Override
  public void move(int from, int to) {
    gen.move(from, to);
    codec.move(from, to);
  }

  @Override
  public Turn select(TtsSession session, long nowNanos) {
    session.drainInbox();
    Long end = session.state.endStep();
    long offset = gen.offset(session.slot());
    if (end != null && offset >= end + delaySteps + settings.finalPadding()) {
      return Turn.FINISH;
    }
    if (offset >= settings.maxSteps()) {
      return Turn.close(
          "synthesis reached the limit of "
              + settings.maxSteps()
              + " steps ("
              + settings.maxSteps() / TtsConfig.FRAME_RATE
              + " s)");
    }
    if (!session.started() || !session.outputReady()) {
      return Turn.IDLE;
    }
    return Turn.waitNanos(nanosUntilDue(session, nowNanos));
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

  @Override
  public void step(TtsSession[] batch) {
    int n = batch.length;
    long t0 = System.nanoTime();
    boolean[] active = new boolean[n];
    int size = 0;
    for (int s = 0; s < n; s++) {
      active[s] = batch[s] != null;
      size += active[s] ? 1 : 0;
    }
    TtsGen.Step out =
        gen.step(
            active, (slot, offset, sampled) -> machine.process(offset, batch[slot].state, sampled));
    long t1 = System.nanoTime();
    long[][] codes = new long[n][];
    boolean[] decode = new boolean[n];
    boolean anyAudio = false;
    for (int s = 0; s < n; s++) {
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
    for (int s = 0; s < n; s++) {
      TtsSession session = batch[s];
      if (session == null || session.isClosed()) {
        continue;
      }
      session.steps++;
      session.computeNanos += t2 - t0;
      float[] frame = decode[s] ? pcm[s] : null;
      loop.deliver(session, () -> deliver(session, frame));
    }
  }

  private void deliver(TtsSession session, float[] frame) {
    emitWords(session, /* all= */ false);
    if (frame == null) {
      return;
    }
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
        end = gen.offset(session.slot());
      } else {
        return;
      }
      session.listener.onWord(
          new TtsWord(
              session.wordsEmitted, w.text(), w.step() * FRAME_SECONDS, end * FRAME_SECONDS));
      session.wordsEmitted++;
    }
  }

  /** The last words, then the slot is freed, then the summary and the close. */
  @Override
  public void finish(TtsSession session) {
    if (loop.deliver(session, () -> emitWords(session, /* all= */ true))) {
      TtsSummary summary = session.summary();
      loop.end(session, () -> session.listener.onEnd(summary));
    }
  }

  @Override
  public void release() {
    gen.close();
    codec.close();
  }
}
