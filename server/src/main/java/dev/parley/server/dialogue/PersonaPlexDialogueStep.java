package dev.parley.server.dialogue;

import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.mimi.MimiStreams;
import dev.parley.codec.nn.ExecMask;
import dev.parley.server.engine.BatchStep;
import dev.parley.server.engine.EngineLoop;
import dev.parley.server.engine.EngineObserver;
import dev.parley.server.engine.Turn;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.persona.PersonaPlexConfig;
import dev.parley.server.persona.PersonaPlexGen;
import dev.parley.server.persona.PersonaPlexGen.Given;
import dev.parley.server.text.TextTokenizer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The dialogue step of a PersonaPlex model. A session with a prompt first prefills: every engine
 * step the live sessions' frames make carries one of its prompt steps as one more row, and between
 * those it steps alone only in the time left before the next live frame is due ({@link
 * PrefillPacing}), so live sessions keep their cadence; its voice frames go through the same
 * batched Mimi encode as the live audio. When the prompt is done its Mimi state is reset (as the
 * fork's server does), {@link DialogueListener#onPromptDone} fires, and its user frames are stepped
 * from then on. Prefill outputs are not decoded. Engine thread only.
 */
final class PersonaPlexDialogueStep implements BatchStep<DialogueSession> {
  private final MimiModel mimi;
  private final TextTokenizer tokenizer;
  private final PersonaPlexConfig pp;
  private final MimiStreams codec;
  private final PersonaPlexGen lm;
  private final EngineObserver observer;
  private final AtomicLong deadlineMisses;
  private final EngineLoop<DialogueSession> loop;
  private final PromptPrefill[] prefill;
  private final float[][] pcm;
  private final long[] frameTime;
  private final DialogueSession[] sessions; // the started session of each slot
  private final long[] lastFrameAt; // when each live session's latest stepped frame completed
  private final PrefillPacing pacing = new PrefillPacing();

  PersonaPlexDialogueStep(
      EngineLoop<DialogueSession> loop,
      SpeechModel model,
      int maxSessions,
      EngineObserver observer,
      AtomicLong deadlineMisses) {
    this.loop = loop;
    this.mimi = model.mimi();
    this.tokenizer = model.tokenizer();
    this.pp = model.personaPlex().orElseThrow();
    this.observer = observer;
    this.deadlineMisses = deadlineMisses;
    this.codec = mimi.newStreams(model.manager(), maxSessions);
    this.lm = new PersonaPlexGen(model.lm(), pp, maxSessions, model.manager());
    this.prefill = new PromptPrefill[maxSessions];
    this.pcm = new float[maxSessions][];
    this.frameTime = new long[maxSessions];
    this.sessions = new DialogueSession[maxSessions];
    this.lastFrameAt = new long[maxSessions];
  }

  @Override
  public void start(DialogueSession session) {
    int s = session.slot();
    codec.reset(s);
    DialogueOptions o = session.options();
    lm.configure(s, o.text(), o.audio(), o.seed());
    prefill[s] = o.prompt() == null ? null : PromptPrefill.of(pp, tokenizer, o.prompt());
    sessions[s] = session;
    lastFrameAt[s] = -1;
  }

  /** The codec's, the LM's and the prompt's state follow the session to its new slot. */
  @Override
  public void move(int from, int to) {
    codec.move(from, to);
    lm.move(from, to);
    prefill[to] = prefill[from];
    prefill[from] = null;
    sessions[to] = sessions[from];
    sessions[from] = null;
    lastFrameAt[to] = lastFrameAt[from];
  }

  private boolean prefilling(DialogueSession session) {
    PromptPrefill p = prefill[session.slot()];
    return p != null && !p.done();
  }

  @Override
  public long readySince(DialogueSession session) {
    // A prefill is ready but holds no gather window: the live frames are not kept waiting for it.
    return prefilling(session) ? Long.MAX_VALUE : session.input().oldestCompletedAt();
  }

  @Override
  public Turn select(DialogueSession session, long nowNanos) {
    if (prefilling(session)) {
      return prefillTurn(nowNanos);
    }
    long[] completedAt = new long[1];
    float[] frame = session.input().poll(completedAt);
    if (frame == null) {
      return Turn.IDLE;
    }
    pcm[session.slot()] = frame;
    frameTime[session.slot()] = completedAt[0];
    lastFrameAt[session.slot()] = completedAt[0];
    return Turn.STEP;
  }

  /**
   * Under the slot lock: whether a live session steps in this round (selected already, or with a
   * frame waiting for its select), else when the next live frame is due.
   */
  private Turn prefillTurn(long nowNanos) {
    boolean liveFrameNow = false;
    long due = PrefillPacing.NONE_DUE;
    for (int s = 0; s < sessions.length; s++) {
      DialogueSession other = sessions[s];
      if (other == null || other.isClosed() || prefilling(other)) {
        continue;
      }
      liveFrameNow |= pcm[s] != null || other.input().queued() > 0;
      due = Math.min(due, PrefillPacing.nextDue(lastFrameAt[s], nowNanos));
    }
    return pacing.turn(liveFrameNow, due, nowNanos);
  }

  @Override
  public void step(DialogueSession[] batch) {
    int n = batch.length;
    long t0 = System.nanoTime();
    boolean[] active = new boolean[n];
    boolean[] live = new boolean[n];
    boolean[] encode = new boolean[n];
    float[][] input = new float[n][];
    for (int s = 0; s < n; s++) {
      active[s] = batch[s] != null;
      live[s] = active[s] && !prefilling(batch[s]);
      input[s] = live[s] ? pcm[s] : active[s] ? prefill[s].voiceFrame() : null;
      encode[s] = input[s] != null;
      pcm[s] = null;
    }
    boolean anyEncode = false;
    for (boolean e : encode) {
      anyEncode |= e;
    }
    long[][] codes =
        anyEncode ? mimi.encodeFrame(input, codec, ExecMask.of(encode)) : new long[n][];
    Given[] given = new Given[n];
    for (int s = 0; s < n; s++) {
      if (live[s]) {
        given[s] = Given.user(codes[s]);
      } else if (active[s]) {
        given[s] = prefill[s].take(encode[s] ? codes[s] : null);
      }
    }
    long t1 = System.nanoTime();
    PersonaPlexGen.Step out = lm.step(given);
    long t2 = System.nanoTime();
    boolean[] produced = new boolean[n];
    long[][] audio = new long[n][];
    boolean anyProduced = false;
    for (int s = 0; s < n; s++) {
      if (live[s] && out.output()[s] != null) {
        produced[s] = true;
        audio[s] = Arrays.copyOfRange(out.output()[s], 1, 1 + mimi.numCodebooks());
        anyProduced = true;
      }
    }
    float[][] decoded = anyProduced ? mimi.decodeFrame(audio, codec, ExecMask.of(produced)) : null;
    long t3 = System.nanoTime();
    long total = t3 - t0;
    boolean late = total > DialogueEngine.FRAME_NANOS;
    boolean anyLive = false;
    for (boolean l : live) {
      anyLive |= l;
    }
    if (!anyLive) {
      pacing.aloneStepTook(total);
    }
    int size = 0;
    for (int s = 0; s < n; s++) {
      DialogueSession session = batch[s];
      if (session == null) {
        continue;
      }
      size++;
      if (!live[s]) {
        if (prefill[s].done()) {
          // The conversation starts from a fresh codec, as after the fork's prompts.
          codec.reset(s);
          loop.deliver(session, () -> session.listener().onPromptDone());
        }
        continue;
      }
      long consumed = session.counters().inputFrameStepped(late);
      if (late) {
        deadlineMisses.incrementAndGet();
      }
      OutputFrame frame =
          produced[s]
              ? DialogueStep.frame(
                  tokenizer,
                  session,
                  out.output()[s][0],
                  audio[s],
                  decoded[s],
                  frameTime[s],
                  t3,
                  total)
              : null;
      loop.deliver(
          session,
          () -> {
            if (frame != null) {
              session.listener().onFrame(frame);
            }
            session.listener().onInputConsumed(consumed);
          });
    }
    observer.stepTimed(size, t1 - t0, t2 - t1, t3 - t2, total);
  }

  @Override
  public void release() {
    lm.close();
    codec.close();
  }
}
