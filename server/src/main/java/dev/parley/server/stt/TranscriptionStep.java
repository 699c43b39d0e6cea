package dev.parley.server.stt;

import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.mimi.MimiStreams;
import dev.parley.codec.nn.ExecMask;
import dev.parley.server.engine.BatchStep;
import dev.parley.server.engine.EngineLoop;
import dev.parley.server.engine.EngineObserver;
import dev.parley.server.engine.Turn;
import dev.parley.server.lm.LmGen;
import dev.parley.server.lm.SamplingParams;
import dev.parley.server.model.SpeechModel;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The transcription step: one batched streaming Mimi encode of every stepping session's frame
 * (silence prefix, client audio or flush), one LM step, then each session's events in the reference
 * order — step, end of turn, words, markers. Holds the batched streaming state of the codec and the
 * LM; engine thread only.
 */
final class TranscriptionStep implements BatchStep<SttSession> {
  private final MimiModel mimi;
  private final MimiStreams codec;
  private final LmGen lm;
  private final int numHeads;
  private final int headDim;
  private final EngineObserver observer;
  private final AtomicLong deadlineMisses;
  private final SttEngine engine;
  private final EngineLoop<SttSession> loop;
  private final float[][] pcm;
  private final SttSession.Source[] sources;

  TranscriptionStep(
      SttEngine engine,
      EngineLoop<SttSession> loop,
      SpeechModel model,
      int maxSessions,
      EngineObserver observer,
      AtomicLong deadlineMisses) {
    this.engine = engine;
    this.loop = loop;
    this.mimi = model.mimi();
    this.numHeads = model.lm().config().extraHeadsNumHeads();
    this.headDim = model.lm().config().extraHeadsDim();
    this.observer = observer;
    this.deadlineMisses = deadlineMisses;
    this.codec = mimi.newStreams(model.manager(), maxSessions);
    this.lm = new LmGen(model.lm(), maxSessions, model.manager());
    this.pcm = new float[maxSessions][];
    this.sources = new SttSession.Source[maxSessions];
  }

  @Override
  public void start(SttSession session) {
    codec.reset(session.slot());
    // The Mimi stream is not reset after the first frame, and the LM replaces step 0's codes by
    // its initial tokens (the reference driver's behaviour).
    lm.configure(
        session.slot(), session.options().text(), SamplingParams.GREEDY, session.options().seed());
  }

  /** The codec's and the LM's streaming state follow the session to its new slot. */
  @Override
  public void move(int from, int to) {
    codec.move(from, to);
    lm.move(from, to);
  }

  @Override
  public long readySince(SttSession session) {
    return session.readySince();
  }

  @Override
  public Turn select(SttSession session, long nowNanos) {
    float[][] one = new float[1][];
    SttSession.Source src = session.nextFrame(one, new long[1]);
    if (src != null) {
      pcm[session.slot()] = one[0];
      sources[session.slot()] = src;
      return Turn.STEP;
    }
    return session.finishedInput() ? Turn.FINISH : Turn.IDLE;
  }

  @Override
  public void step(SttSession[] batch) {
    int n = batch.length;
    long t0 = System.nanoTime();
    boolean[] active = new boolean[n];
    float[][] input = new float[n][];
    int size = 0;
    for (int s = 0; s < n; s++) {
      active[s] = batch[s] != null;
      input[s] = active[s] ? pcm[s] : null;
      pcm[s] = null;
      size += active[s] ? 1 : 0;
    }
    long[][] codes = mimi.encodeFrame(input, codec, ExecMask.of(active));
    long t1 = System.nanoTime();
    LmGen.Step out = lm.step(codes, active);
    long total = System.nanoTime() - t0;
    observer.stepTimed(size, t1 - t0, total - (t1 - t0), 0, total);
    boolean late = total > engine.deadlineNanos;
    float[] heads = out.extraHeads();
    for (int s = 0; s < n; s++) {
      SttSession session = batch[s];
      if (session == null) {
        continue;
      }
      if (sources[s] == SttSession.Source.CLIENT) {
        session.counters().inputFrameStepped(late);
        if (late) {
          deadlineMisses.incrementAndGet();
        }
      }
      float[] prs = new float[numHeads];
      for (int h = 0; h < numHeads; h++) {
        prs[h] = heads[(s * numHeads + h) * headDim];
      }
      long index = session.counters().stepped() - 1;
      long token = out.textToken()[s];
      loop.deliver(session, () -> deliver(session, index, token, prs, total));
    }
  }

  /**
   * One step's events for one session, in the reference order: step, end of turn, words, markers.
   */
  private void deliver(SttSession session, long index, long token, float[] prs, long stepNanos) {
    SttListener l = session.listener();
    l.onStep(new SttStep(index, token, prs, session.bufferedSamples(), stepNanos));
    // As the reference's --vad: signal when the head crosses the threshold, once until the next
    // text token.
    int head = session.endOfTurnHead();
    if (head >= 0
        && prs[head] > session.options().endOfTurnThreshold()
        && session.signalEndOfTurn()) {
      l.onEndOfTurn(index, prs[head]);
    }
    if (token != WordAssembler.END_OF_PADDING_ID && token != WordAssembler.PADDING_ID) {
      session.textSeen();
    }
    emit(l, session.words().push(token));
    for (long id : session.dueMarkers(index + 1, /* all= */ false)) {
      l.onMarker(id);
    }
  }

  /**
   * The input ended and the flush is done: the last words and any markers left, then the slot is
   * freed (so a client may open its next session as soon as it has the transcript), then the
   * transcript and the close.
   */
  @Override
  public void finish(SttSession session) {
    SttListener l = session.listener();
    boolean delivered =
        loop.deliver(
            session,
            () -> {
              emit(l, session.words().finish());
              for (long id : session.dueMarkers(session.counters().steps(), /* all= */ true)) {
                l.onMarker(id);
              }
            });
    if (delivered) {
      loop.end(session, () -> l.onTranscript(session.words().words()));
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

  @Override
  public void release() {
    lm.close();
    codec.close();
  }
}
