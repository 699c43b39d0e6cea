package dev.parley.server.tts;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;

/**
 * The DSM TTS state machine ({@code models/tts.py} StateMachine): every step it turns the model's
 * sampled text token into the next text input. The model signals a new word (token 0); the machine
 * then pops the next entry and feeds its tokens over the following steps while forcing pads, forces
 * a new word after {@code maxPadding} pads, and with a second text stream feeds the tokens of the
 * word {@code secondStreamAhead} entries ahead, muxed as {@code (second + 1)·card + first}.
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
    private boolean endOfText = true;
    private long starvedSteps;

    State(Collection<Entry> entries, int initialPadding) {
      this.entries.addAll(entries);
      this.remainingPadding = initialPadding;
      this.forcedPadding = initialPadding;
    }

    /** More entries at the end (text streamed in). */
    public void push(Collection<Entry> more) {
      entries.addAll(more);
    }

    /**
     * Whether every entry has been given: only then may running out of entries end the synthesis.
     */
    public boolean endOfText() {
      return endOfText;
    }

    public void setEndOfText(boolean ended) {
      this.endOfText = ended;
    }

    /** Entries given and not consumed yet. */
    public int pendingEntries() {
      return entries.size();
    }

    /** Steps where the model asked for a word the client had not sent yet, and padded instead. */
    public long starvedSteps() {
      return starvedSteps;
    }

    /**
     * moshi-server's {@code ClientState.is_active}: a word can be taken now without guessing what
     * follows it: the next entry is a break, or it and the {@code lookahead} words after it (whose
     * tokens the second text stream carries) are known. Always true once the text has ended.
     */
    public boolean canTakeWord(int lookahead) {
      if (endOfText) {
        return true;
      }
      if (entries.isEmpty()) {
        return false;
      }
      if (lookahead == 0 || entries.peekFirst().isBreak()) {
        return true;
      }
      int remaining = lookahead + 1;
      for (Entry e : entries) {
        if (!e.isBreak() && --remaining <= 0) {
          return true;
        }
      }
      return false;
    }

    /** The step at which the machine ran out of entries, or null while words remain. */
    public Long endStep() {
      return endStep;
    }

    /** Entries consumed so far (words and breaks). */
    public int consumedEntries() {
      return consumptionSteps.size();
    }

    public long consumptionStep(int entry) {
      return consumptionSteps.get(entry);
    }

    public int transcriptSize() {
      return transcript.size();
    }

    public Word word(int i) {
      return transcript.get(i);
    }

    public List<Long> consumptionSteps() {
      return List.copyOf(consumptionSteps);
    }

    public List<Word> transcript() {
      return List.copyOf(transcript);
    }

    /**
     * The tokens of the {@code lookahead}-th entry with tokens still queued (breaks skipped), or
     * none.
     */
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

  /** A synthesis of {@code entries}, all known now. */
  public State newState(Collection<Entry> entries) {
    return new State(entries, initialPadding);
  }

  /** A synthesis whose text will be {@link State#push pushed} until {@link State#setEndOfText}. */
  public State newStreamingState() {
    State s = new State(List.of(), initialPadding);
    s.endOfText = false;
    return s;
  }

  public int secondStreamAhead() {
    return secondStreamAhead;
  }

  /** The next text input given the model's sampled token at {@code step} (the state is updated). */
  public long process(long step, State state, long sampled) {
    int token = sampled == NEW_WORD || sampled == PAD ? (int) sampled : PAD;
    if (!state.queued.isEmpty() || state.forcedPadding > 0) {
      token = PAD;
    } else if (state.remainingPadding <= 0) {
      token = NEW_WORD;
    }
    if (token == NEW_WORD && !state.canTakeWord(secondStreamAhead)) {
      // Text streamed in has run dry: pad and wait for more instead of ending.
      state.starvedSteps++;
      token = PAD;
    } else if (token == NEW_WORD) {
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
