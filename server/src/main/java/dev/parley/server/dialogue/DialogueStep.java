package dev.parley.server.dialogue;

import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.mimi.MimiStreams;
import dev.parley.codec.nn.ExecMask;
import dev.parley.server.engine.BatchStep;
import dev.parley.server.engine.EngineLoop;
import dev.parley.server.engine.EngineObserver;
import dev.parley.server.engine.Turn;
import dev.parley.server.lm.LmGen;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.persona.PersonaPlexConfig;
import dev.parley.server.persona.PersonaPlexGen.Given;
import dev.parley.server.text.TextTokenizer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The dialogue step: one batched Mimi encode of every stepping session's input frame, one LM step,
 * one batched Mimi decode of the frames it produced, in the reference server's order — the first
 * frame of a session is encoded, then that slot's Mimi state is reset, and the LM (which ignores
 * its input at step 0) still takes those codes. Holds the batched streaming state of the codec and
 * the LM; engine thread only.
 *
 * <p>A session with a prompt (experimental on a Moshi model) first prefills as on PersonaPlex
 * ({@link PromptPrefill}): one prompt step per engine step, its voice frames in the batched encode,
 * the user's stream fed the sine codes and the model's own streams forced; no output is decoded,
 * and the slot's Mimi state is reset when it is done.
 */
final class DialogueStep implements BatchStep<DialogueSession> {
  private final MimiModel mimi;
  private final TextTokenizer tokenizer;
  private final MimiStreams codec;
  private final LmGen lm;
  private final EngineObserver observer;
  private final AtomicLong deadlineMisses;
  private final EngineLoop<DialogueSession> loop;
  private final float[][] pcm;
  private final long[] frameTime;
  private final int depQ;
  private final PersonaPlexConfig prompts; // null: the model takes no prompt
  private final PromptPrefill[] prefill;

  DialogueStep(
      EngineLoop<DialogueSession> loop,
      SpeechModel model,
      int maxSessions,
      EngineObserver observer,
      AtomicLong deadlineMisses,
      PersonaPlexConfig prompts) {
    this.loop = loop;
    this.prompts = prompts;
    this.prefill = new PromptPrefill[maxSessions];
    this.mimi = model.mimi();
    this.tokenizer = model.tokenizer();
    this.observer = observer;
    this.deadlineMisses = deadlineMisses;
    this.codec = mimi.newStreams(model.manager(), maxSessions);
    this.lm = new LmGen(model.lm(), maxSessions, model.manager());
    this.depQ = model.lm().config().depQ();
    this.pcm = new float[maxSessions][];
    this.frameTime = new long[maxSessions];
  }

  @Override
  public void start(DialogueSession session) {
    int s = session.slot();
    codec.reset(s);
    DialogueOptions o = session.options();
    lm.configure(s, o.text(), o.audio(), o.seed());
    prefill[s] =
        o.prompt() == null || prompts == null
            ? null
            : PromptPrefill.of(prompts, tokenizer, o.prompt());
  }

  /** The codec's and the LM's streaming state follow the session to its new slot. */
  @Override
  public void move(int from, int to) {
    codec.move(from, to);
    lm.move(from, to);
    prefill[to] = prefill[from];
    prefill[from] = null;
  }

  private boolean prefilling(DialogueSession session) {
    PromptPrefill p = prefill[session.slot()];
    return p != null && !p.done();
  }

  @Override
  public long readySince(DialogueSession session) {
    // A prefill is always ready: no need to wait for it.
    return prefilling(session) ? 0 : session.input().oldestCompletedAt();
  }

  @Override
  public Turn select(DialogueSession session, long nowNanos) {
    if (prefilling(session)) {
      return Turn.STEP;
    }
    long[] completedAt = new long[1];
    float[] frame = session.input().poll(completedAt);
    if (frame == null) {
      return Turn.IDLE;
    }
    pcm[session.slot()] = frame;
    frameTime[session.slot()] = completedAt[0];
    return Turn.STEP;
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
    long[][] codes =
        any(encode) ? mimi.encodeFrame(input, codec, ExecMask.of(encode)) : new long[n][];
    LmGen.Forced[] forced = new LmGen.Forced[n];
    for (int s = 0; s < n; s++) {
      if (live[s] && batch[s].counters().inputFrames() == 0) {
        // The first frame's special structure must not leak into the next: the reference server
        // encodes it, then resets the slot's Mimi state.
        codec.reset(s);
      } else if (active[s] && !live[s]) {
        Given g = prefill[s].take(encode[s] ? codes[s] : null);
        codes[s] = g.user();
        // The model's own streams: the first dep_q codebooks of a voice frame.
        long[] agent = g.agent() == null ? null : Arrays.copyOf(g.agent(), depQ);
        forced[s] = new LmGen.Forced(agent, g.text());
      }
    }
    long t1 = System.nanoTime();
    LmGen.Step out = lm.step(codes, active, forced);
    long t2 = System.nanoTime();
    boolean[] produced = new boolean[n];
    for (int s = 0; s < n; s++) {
      produced[s] = live[s] && out.produced()[s];
    }
    long[][] audio = new long[n][];
    boolean anyProduced = false;
    for (int s = 0; s < n; s++) {
      if (produced[s]) {
        audio[s] = Arrays.copyOfRange(out.frame()[s], 1, 1 + mimi.numCodebooks());
        anyProduced = true;
      }
    }
    float[][] decoded = anyProduced ? mimi.decodeFrame(audio, codec, ExecMask.of(produced)) : null;
    long t3 = System.nanoTime();
    long total = t3 - t0;
    boolean late = total > DialogueEngine.FRAME_NANOS;
    int size = 0;
    for (int s = 0; s < n; s++) {
      DialogueSession session = batch[s];
      if (session == null) {
        continue;
      }
      size++;
      if (!live[s]) {
        if (prefill[s].done()) {
          // The conversation starts from a fresh codec, as after PersonaPlex's prompts.
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
              ? frame(
                  tokenizer,
                  session,
                  out.frame()[s][0],
                  audio[s],
                  decoded[s],
                  frameTime[s],
                  t3,
                  total)
              : null;
      // After its output: a transport may end the session once every input frame is consumed.
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

  private static boolean any(boolean[] v) {
    for (boolean b : v) {
      if (b) {
        return true;
      }
    }
    return false;
  }

  /** The session's next output frame; the token's text only if it is printed in a dialogue. */
  static OutputFrame frame(
      TextTokenizer tokenizer,
      DialogueSession session,
      long token,
      long[] audio,
      float[] pcm,
      long inputCompletedAt,
      long readyAt,
      long stepNanos) {
    String text =
        token >= 0
                && token < tokenizer.vocabSize()
                && tokenizer.isPrintedInDialogue((int) token)
                && !tokenizer.isControl((int) token)
            ? tokenizer.textOf((int) token)
            : "";
    return new OutputFrame(
        session.counters().outputFrameProduced(),
        token,
        text,
        audio,
        pcm,
        inputCompletedAt,
        readyAt - inputCompletedAt,
        stepNanos);
  }

  @Override
  public void release() {
    lm.close();
    codec.close();
  }
}
