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
 * from then on. Prefill outputs are not decoded. The state a prefill ends in is kept in a {@link
 * PrefillCache}: a session with the same prompt starts from a copy of it, with no prefill, and its
 * prompt is done at once. Engine thread only.
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
  private final SlotInputs inputs;
  private final CachedPrefills<PersonaPlexGen.Snapshot> cached;

  PersonaPlexDialogueStep(
      EngineLoop<DialogueSession> loop,
      SpeechModel model,
      int maxSessions,
      EngineObserver observer,
      AtomicLong deadlineMisses,
      PrefillCache<PersonaPlexGen.Snapshot> cache) {
    this.loop = loop;
    this.cached = new CachedPrefills<>(cache, model.name(), maxSessions, loop, observer);
    this.mimi = model.mimi();
    this.tokenizer = model.tokenizer();
    this.pp = model.personaPlex().orElseThrow();
    this.observer = observer;
    this.deadlineMisses = deadlineMisses;
    this.codec = mimi.newStreams(model.manager(), maxSessions);
    this.lm = new PersonaPlexGen(model.lm(), pp, maxSessions, model.manager());
    this.inputs = new SlotInputs(maxSessions);
  }

  @Override
  public void start(DialogueSession session) {
    int s = session.slot();
    codec.reset(s);
    DialogueOptions o = session.options();
    lm.configure(s, o.text(), o.audio(), o.seed());
    cached.startUnprompted(s);
    boolean prefill = o.prompt() != null && !cached.startFromCache(session, c -> lm.restore(s, c));
    inputs.start(session, prefill ? PromptPrefill.of(pp, tokenizer, o.prompt()) : null);
  }

  /** The codec's, the LM's and the prompt's state follow the session to its new slot. */
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
    boolean[] live = new boolean[n];
    float[][] input = inputs.take(batch, live);
    boolean[] encode = DialogueStep.present(input);
    long[][] codes =
        DialogueStep.any(encode)
            ? mimi.encodeFrame(input, codec, ExecMask.of(encode))
            : new long[n][];
    Given[] given = new Given[n];
    for (int s = 0; s < n; s++) {
      if (live[s]) {
        given[s] = Given.user(codes[s]);
      } else if (batch[s] != null) {
        given[s] = inputs.prefill(s).take(encode[s] ? codes[s] : null);
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
          // The conversation starts from a fresh codec, as after the fork's prompts.
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
                  out.output()[s][0],
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

  @Override
  public void release() {
    cached.close();
    lm.close();
    codec.close();
  }
}
