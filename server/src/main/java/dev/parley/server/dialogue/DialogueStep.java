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
 * ({@link PromptPrefill}, paced by {@link SlotInputs}): it rides along in the live sessions' steps
 * and steps alone only in the slack before their next frames, its voice frames in the batched
 * encode, the user's stream fed the sine codes and the model's own streams forced; no output is
 * decoded, and the slot's Mimi state is reset when it is done; its end state is cached for the next
 * session with the same prompt, as on PersonaPlex ({@link CachedPrefills}).
 */
final class DialogueStep implements BatchStep<DialogueSession> {
  private final MimiModel mimi;
  private final TextTokenizer tokenizer;
  private final MimiStreams codec;
  private final LmGen lm;
  private final EngineObserver observer;
  private final AtomicLong deadlineMisses;
  private final EngineLoop<DialogueSession> loop;
  private final int depQ;
  private final PersonaPlexConfig prompts; // null: the model takes no prompt
  private final SlotInputs inputs;
  private final CachedPrefills<LmGen.Snapshot> cached;

  DialogueStep(
      EngineLoop<DialogueSession> loop,
      SpeechModel model,
      int maxSessions,
      EngineObserver observer,
      AtomicLong deadlineMisses,
      PersonaPlexConfig prompts,
      PrefillCache<LmGen.Snapshot> cache) {
    this.loop = loop;
    this.cached = new CachedPrefills<>(cache, model.name(), maxSessions, loop, observer);
    this.prompts = prompts;
    this.inputs = new SlotInputs(maxSessions);
    this.mimi = model.mimi();
    this.tokenizer = model.tokenizer();
    this.observer = observer;
    this.deadlineMisses = deadlineMisses;
    this.codec = mimi.newStreams(model.manager(), maxSessions);
    this.lm = new LmGen(model.lm(), maxSessions, model.manager());
    this.depQ = model.lm().config().depQ();
  }

  @Override
  public void start(DialogueSession session) {
    int s = session.slot();
    codec.reset(s);
    DialogueOptions o = session.options();
    lm.configure(s, o.text(), o.audio(), o.seed());
    cached.startUnprompted(s);
    boolean prefill =
        o.prompt() != null
            && prompts != null
            && !cached.startFromCache(session, c -> lm.restore(s, c));
    inputs.start(session, prefill ? PromptPrefill.of(prompts, tokenizer, o.prompt()) : null);
  }

  /** The codec's and the LM's streaming state follow the session to its new slot. */
  @Override
  public void move(int from, int to) {
    codec.move(from, to);
    lm.move(from, to);
    inputs.move(from, to);
    cached.move(from, to);
  }

  @Override
  public long readySince(DialogueSession session) {
    return inputs.readySince(session);
  }

  @Override
  public Turn select(DialogueSession session, long nowNanos) {
    return inputs.select(session, nowNanos);
  }

  @Override
  public void step(DialogueSession[] batch) {
    int n = batch.length;
    long t0 = System.nanoTime();
    boolean[] active = new boolean[n];
    for (int s = 0; s < n; s++) {
      active[s] = batch[s] != null;
    }
    boolean[] live = new boolean[n];
    float[][] input = inputs.take(batch, live);
    boolean[] encode = present(input);
    long[][] codes =
        any(encode) ? mimi.encodeFrame(input, codec, ExecMask.of(encode)) : new long[n][];
    LmGen.Forced[] forced = new LmGen.Forced[n];
    for (int s = 0; s < n; s++) {
      if (live[s] && batch[s].counters().inputFrames() == 0) {
        // The first frame's special structure must not leak into the next: the reference server
        // encodes it, then resets the slot's Mimi state.
        codec.reset(s);
      } else if (active[s] && !live[s]) {
        Given g = inputs.prefill(s).take(encode[s] ? codes[s] : null);
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
    inputs.stepTook(live, total);
    int size = 0;
    for (int s = 0; s < n; s++) {
      DialogueSession session = batch[s];
      if (session == null) {
        continue;
      }
      size++;
      if (!live[s]) {
        if (inputs.prefill(s).done()) {
          // The conversation starts from a fresh codec, as after PersonaPlex's prompts.
          codec.reset(s);
          int slot = s;
          cached.prefillDone(session, m -> lm.snapshot(slot, m));
        }
        continue;
      }
      OutputFrame frame =
          produced[s]
              ? DialogueStep.frame(
                  tokenizer,
                  session,
                  out.frame()[s][0],
                  audio[s],
                  decoded[s],
                  inputs.frameTime(s),
                  t3,
                  total)
              : null;
      DialogueStep.deliver(loop, session, frame, late, deadlineMisses);
    }
    observer.stepTimed(size, t1 - t0, t2 - t1, t3 - t2, total);
  }

  /**
   * A live session's step is over: it counts (a deadline miss if {@code late}), and its frame, if
   * it produced one, goes out before the news that its input frame was consumed — a transport may
   * end the session once every input frame is.
   */
  static void deliver(
      EngineLoop<DialogueSession> loop,
      DialogueSession session,
      OutputFrame frame,
      boolean late,
      AtomicLong deadlineMisses) {
    long consumed = session.counters().inputFrameStepped(late);
    if (late) {
      deadlineMisses.incrementAndGet();
    }
    loop.deliver(
        session,
        () -> {
          if (frame != null) {
            session.listener().onFrame(frame);
          }
          session.listener().onInputConsumed(consumed);
        });
  }

  /** Which rows have an input. */
  static boolean[] present(Object[] rows) {
    boolean[] p = new boolean[rows.length];
    for (int s = 0; s < rows.length; s++) {
      p[s] = rows[s] != null;
    }
    return p;
  }

  static boolean any(boolean[] v) {
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
    cached.close();
    lm.close();
    codec.close();
  }
}
