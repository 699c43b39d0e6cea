package dev.parley.server.tts;

import dev.parley.server.engine.EngineSession;
import dev.parley.server.lm.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * One synthesis in a {@link TtsEngine} slot. Transports push text ({@link #pushText}, any pieces)
 * and {@link #endOfText}; the engine steps the session whenever it has words to speak (or, when
 * streamed text has run dry, to keep real-time playback fed with pads) and its output can be
 * written. Everything but the public methods belongs to the engine thread.
 */
public final class TtsSession extends EngineSession {
  final TtsListener listener;
  final ConditionAttributes attributes;
  final String conditionKey; // null: not cached (a client's own voice)
  final List<String> voiceNames;
  final SamplingParams text;
  final SamplingParams audio;
  final long seed;

  // Guarded by the engine's slot lock: what transports hand over.
  private final TextFeed feed;
  private final int maxChars;
  private final List<Entry> inbox = new ArrayList<>();
  private boolean inboxEnded;
  private boolean ended;
  private volatile BooleanSupplier outputReady = () -> true;
  long firstTextAt = -1;

  // Engine thread only.
  final TtsStateMachine.State state;
  long framesReturned;
  long framesSent;
  long steps;
  long firstAudioAt = -1;
  long firstAudioNanos = -1;
  long stepsToFirstAudio;
  long computeNanos;
  long computeToFirstAudio;
  int wordsEmitted;

  TtsSession(
      int slot,
      TtsListener listener,
      ConditionAttributes attributes,
      String conditionKey,
      List<String> voiceNames,
      SamplingParams text,
      SamplingParams audio,
      long seed,
      TextFeed feed,
      TtsStateMachine.State state,
      int maxChars) {
    super(slot);
    this.listener = listener;
    this.attributes = attributes;
    this.conditionKey = conditionKey;
    this.voiceNames = List.copyOf(voiceNames);
    this.text = text;
    this.audio = audio;
    this.seed = seed;
    this.feed = feed;
    this.state = state;
    this.maxChars = maxChars;
  }

  /** The voices speaking, one per speaker. */
  public List<String> voices() {
    return voiceNames;
  }

  /**
   * More text. Pieces are concatenated; a word is spoken once whitespace (or {@link #endOfText})
   * shows it is whole.
   *
   * @throws IllegalArgumentException when the synthesis would exceed the engine's text limit
   * @throws IllegalStateException after {@link #endOfText} or once closed
   */
  public void pushText(CharSequence piece) {
    underEngineLock(
        () -> {
          if (isClosed()) {
            throw new IllegalStateException("the synthesis is closed");
          }
          if (ended) {
            throw new IllegalStateException("text after the end of text");
          }
          if (feed.characters() + piece.length() > maxChars) {
            throw new IllegalArgumentException("text longer than " + maxChars + " characters");
          }
          if (firstTextAt < 0 && !piece.toString().isBlank()) {
            firstTextAt = System.nanoTime();
          }
          inbox.addAll(feed.push(piece));
        });
    wakeEngine();
  }

  /** A whole script: turn i is spoken by speaker i % 2; then the end of text. */
  void pushTurns(List<String> turns) {
    underEngineLock(
        () -> {
          if (isClosed() || ended) {
            throw new IllegalStateException("the synthesis already has its text");
          }
          for (int i = 0; i < turns.size(); i++) {
            inbox.addAll(feed.turn(i, turns.get(i)));
          }
          ended = true;
          inboxEnded = true;
          firstTextAt = System.nanoTime();
        });
    wakeEngine();
  }

  /** No more text: speak what is left, then end. Repeated calls are ignored. */
  public void endOfText() {
    underEngineLock(
        () -> {
          if (ended || isClosed()) {
            return;
          }
          ended = true;
          inbox.addAll(feed.finish());
          inboxEnded = true;
          if (firstTextAt < 0) {
            firstTextAt = System.nanoTime();
          }
        });
    wakeEngine();
  }

  /**
   * Output back-pressure: while {@code ready} is false the session is not stepped (its transport's
   * buffer is full); call {@link #wakeUp} when it turns true.
   */
  public void setOutputReady(BooleanSupplier ready) {
    this.outputReady = ready;
  }

  /** The transport can take output again. */
  public void wakeUp() {
    wakeEngine();
  }

  /** Ends the synthesis now; the listener gets {@code onClosed("closed by client")}. */
  public void close() {
    endSession("closed by client");
  }

  /** Closes with {@code reason} (an error the client should see). */
  public void close(String reason) {
    endSession(reason);
  }

  @Override
  protected void notifyClosed(String reason) {
    listener.onClosed(reason);
  }

  /** Under the lock: hands pushed entries to the state machine (engine thread). */
  void drainInbox() {
    if (!inbox.isEmpty()) {
      state.push(inbox);
      inbox.clear();
    }
    if (inboxEnded && !state.endOfText()) {
      state.setEndOfText(true);
    }
  }

  boolean started() {
    return firstTextAt >= 0;
  }

  boolean outputReady() {
    return outputReady.getAsBoolean();
  }

  TtsSummary summary() {
    return new TtsSummary(
        framesSent,
        wordsEmitted,
        steps,
        state.starvedSteps(),
        firstAudioNanos,
        stepsToFirstAudio,
        computeToFirstAudio);
  }
}
