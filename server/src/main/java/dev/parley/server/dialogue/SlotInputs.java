package dev.parley.server.dialogue;

import dev.parley.server.engine.Turn;

/**
 * What each slot of a dialogue engine brings to the next step — a live session's 80 ms frame, or a
 * prefilling session's next prompt step — and when a prefill may step ({@link PrefillPacing}).
 * Shared by the Moshi and PersonaPlex steps; its per-slot state follows a session when it moves.
 * Engine thread only (select runs under the loop's slot lock).
 */
final class SlotInputs {
  private final PromptPrefill[] prefill;
  private final DialogueSession[] sessions; // the started session of each slot
  private final float[][] pcm; // the frame selected for the coming step
  private final long[] frameTime; // when that frame's input completed
  private final long[] lastFrameAt; // when each live session's latest selected frame completed
  private final PrefillPacing pacing = new PrefillPacing();

  SlotInputs(int maxSessions) {
    prefill = new PromptPrefill[maxSessions];
    sessions = new DialogueSession[maxSessions];
    pcm = new float[maxSessions][];
    frameTime = new long[maxSessions];
    lastFrameAt = new long[maxSessions];
  }

  /** A session starts in its slot, prefilling {@code prompt} first (null: none). */
  void start(DialogueSession session, PromptPrefill prompt) {
    int s = session.slot();
    prefill[s] = prompt;
    sessions[s] = session;
    pcm[s] = null;
    lastFrameAt[s] = -1;
  }

  void move(int from, int to) {
    prefill[to] = prefill[from];
    prefill[from] = null;
    sessions[to] = sessions[from];
    sessions[from] = null;
    pcm[to] = pcm[from];
    pcm[from] = null;
    frameTime[to] = frameTime[from];
    lastFrameAt[to] = lastFrameAt[from];
  }

  boolean prefilling(int slot) {
    PromptPrefill p = prefill[slot];
    return p != null && !p.done();
  }

  /** The slot's prompt (while or after prefilling), or null. */
  PromptPrefill prefill(int slot) {
    return prefill[slot];
  }

  long readySince(DialogueSession session) {
    // A prefill is ready but holds no gather window: the live frames are not kept waiting for it.
    return prefilling(session.slot()) ? Long.MAX_VALUE : session.input().oldestCompletedAt();
  }

  Turn select(DialogueSession session, long nowNanos) {
    int s = session.slot();
    if (prefilling(s)) {
      return prefillTurn(nowNanos);
    }
    long[] completedAt = new long[1];
    float[] frame = session.input().poll(completedAt);
    if (frame == null) {
      return Turn.IDLE;
    }
    pcm[s] = frame;
    frameTime[s] = completedAt[0];
    lastFrameAt[s] = completedAt[0];
    return Turn.STEP;
  }

  /**
   * Whether a live session steps in this round (selected already, or with a frame waiting for its
   * select), else when the next live frame is due.
   */
  private Turn prefillTurn(long nowNanos) {
    boolean liveFrameNow = false;
    long due = PrefillPacing.NONE_DUE;
    for (int s = 0; s < sessions.length; s++) {
      DialogueSession other = sessions[s];
      if (other == null || other.isClosed() || prefilling(s)) {
        continue;
      }
      liveFrameNow |= pcm[s] != null || other.input().queued() > 0;
      due = Math.min(due, PrefillPacing.nextDue(lastFrameAt[s], nowNanos));
    }
    return pacing.turn(liveFrameNow, due, nowNanos);
  }

  /**
   * This step's audio to encode per slot — a live session's frame, a prefilling one's voice frame
   * (null past its voice phase) — and which rows are live; the selected frames are taken.
   */
  float[][] take(DialogueSession[] batch, boolean[] live) {
    float[][] input = new float[batch.length][];
    for (int s = 0; s < batch.length; s++) {
      live[s] = batch[s] != null && !prefilling(s);
      input[s] = live[s] ? pcm[s] : batch[s] != null ? prefill[s].voiceFrame() : null;
      pcm[s] = null;
    }
    return input;
  }

  /** When the input of the frame a live slot steps now completed. */
  long frameTime(int slot) {
    return frameTime[slot];
  }

  /** A step took {@code nanos}; only steps without a live session teach the pacing. */
  void stepTook(boolean[] live, long nanos) {
    for (boolean l : live) {
      if (l) {
        return;
      }
    }
    pacing.aloneStepTook(nanos);
  }
}
