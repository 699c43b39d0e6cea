package dev.parley.server.tts;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;

/**
 * The DSM TTS state machine ({@code models/tts.py} StateMachine): every step it turns the model's
 * sampled text token into the next text input. The model signals a new word (token 0); the
 * machine then pops the next entry and feeds its tokens over the following steps while forcing
 * pads, forces a new word after {@code maxPadding} pads, and with a second text stream feeds the
 * tokens of the word {@code secondStreamAhead} entries ahead, muxed as
 * {@code (second + 1)·card + first}.
 */
public final class TtsStateMachine {
  public static final int NEW_WORD = 0;
  public static final int MAIN = 1;
  public static final int OTHER = 2;
  public static final int PAD = 3;
  public static final int ZERO = -1;

  private final int card;
  private final int secondStreamAhead;
  private final int maxPadding;
  private final int initialPadding;

  /**
   * @param card text cardinality including the initial token ({@code text_card + 1})
   */
  public TtsStateMachine(int card, int secondStreamAhead, int maxPadding, int initialPadding) {
    this.card = card;
    this.secondStreamAhead = secondStreamAhead;
    this.maxPadding = maxPadding;
    this.initialPadding = initialPadding;
  }

  /** A word of the transcript: the entry it came from and the step it was consumed at. */
  public record Word(int entryIndex, String text, long step) {}

  /** One synthesis: what remains to say and what has been said. */
  public static final class State {
    private final Deque<Entry> entries = new ArrayDeque<>();
    private int consumed; // entries popped so far (index of the next one)
    private int remainingPadding;
    private int forcedPadding;
    private final Deque<Integer> queued = new ArrayDeque<>();
    private final Deque<Integer> lookaheadQueued = new ArrayDeque<>();
    private Long endStep;
    private final List<Long> consumptionSteps = new ArrayList<>();
    private final List<Word> transcript = new ArrayList<>();

    State(Collection<Entry> entries, int initialPadding) {
      this.entries.addAll(entries);
      this.remainingPadding = initialPadding;
      this.forcedPadding = initialPadding;
    }

    /** The step at which the machine ran out of entries, or null while words remain. */
    public Long endStep() {
      return endStep;
    }

    public List<Long> consumptionSteps() {
      return List.copyOf(consumptionSteps);
    }

    public List<Word> transcript() {
      return List.copyOf(transcript);
    }

    /** The tokens of the {@code lookahead}-th entry with tokens still queued (breaks skipped), or none. */
    private List<Integer> tokensAhead(int lookahead) {
      for (Entry e : entries) {
        if (!e.isBreak()) {
          lookahead--;
          if (lookahead == 0) {
            List<Integer> t = new ArrayList<>();
            for (int x : e.tokens()) {
              t.add(x);
            }
            return t;
          }
        }
      }
      return List.of();
    }
  }

  public State newState(Collection<Entry> entries) {
    return new State(entries, initialPadding);
  }

  /** The next text input given the model's sampled token at {@code step} (the state is updated). */
  public long process(long step, State state, long sampled) {
    int token = sampled == NEW_WORD || sampled == PAD ? (int) sampled : PAD;
    if (!state.queued.isEmpty() || state.forcedPadding > 0) {
      token = PAD;
    } else if (state.remainingPadding <= 0) {
      token = NEW_WORD;
    }
    if (token == NEW_WORD) {
      Entry entry = state.entries.pollFirst();
      if (entry != null) {
        int index = state.consumed++;
        state.consumptionSteps.add(step);
        if (!entry.isBreak()) {
          state.transcript.add(new Word(index, entry.text(), step));
          for (int t : entry.tokens()) {
            state.queued.addLast(t);
          }
          if (secondStreamAhead > 0) {
            state.lookaheadQueued.addAll(state.tokensAhead(secondStreamAhead));
          }
          state.remainingPadding = maxPadding;
        } else {
          token = PAD;
        }
        state.forcedPadding = entry.padding();
      } else {
        token = secondStreamAhead > 0 && state.endStep == null ? NEW_WORD : PAD;
        if (state.endStep == null) {
          state.endStep = step;
        }
      }
    }
    int output;
    if (token == PAD) {
      if (state.remainingPadding > 0) {
        state.remainingPadding--;
      }
      if (state.forcedPadding > 0) {
        state.forcedPadding--;
      }
      output = state.queued.isEmpty() ? PAD : state.queued.pollFirst();
    } else {
      output = NEW_WORD;
    }
    if (secondStreamAhead > 0) {
      int second = -1;
      if (output == NEW_WORD) {
        second = NEW_WORD;
        output = state.queued.isEmpty() ? PAD : state.queued.pollFirst();
      } else if (!state.lookaheadQueued.isEmpty()) {
        second = state.lookaheadQueued.pollFirst();
      }
      return (long) (second + 1) * card + output;
    }
    return output;
  }
}
