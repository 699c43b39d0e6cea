package dev.parley.server.lm;

import java.util.Arrays;

/**
 * The delayed-token ring of a batched generator: per slot and stream, the last {@code max_delay +
 * 2} tokens by step, so that a token stream k takes at step t is read at {@code t + delay[k]}, and
 * a step's frame, realigned across the delays, is read once every stream has it. Tokens are tiny
 * and every one of them is needed on the host anyway, so the ring is Java arrays. Engine thread
 * only.
 */
public final class DelayedStreams {
  /** Marks a position that holds no token yet (reference {@code ungenerated_token_id}). */
  public static final long UNGENERATED = -2;

  private final int[] delays;
  private final int maxDelay;
  private final int columns;
  private final long[][][] ring; // [slot][stream][column]
  private final boolean[][][] forced; // [slot][stream][column]: a teacher-forced generated token
  private final long[] offsets;

  public DelayedStreams(int batch, int[] delays) {
    this.delays = delays.clone();
    this.maxDelay = Arrays.stream(delays).max().orElse(0);
    this.columns = maxDelay + 2;
    this.ring = new long[batch][delays.length][columns];
    this.forced = new boolean[batch][delays.length][columns];
    this.offsets = new long[batch];
    for (int b = 0; b < batch; b++) {
      reset(b);
    }
  }

  /** The slot starts again at step 0 with nothing generated. */
  public void reset(int slot) {
    offsets[slot] = 0;
    for (long[] row : ring[slot]) {
      Arrays.fill(row, UNGENERATED);
    }
    for (boolean[] row : forced[slot]) {
      Arrays.fill(row, false);
    }
  }

  /** Slot {@code to} takes over slot {@code from}'s tokens and position. */
  public void move(int from, int to) {
    offsets[to] = offsets[from];
    for (int k = 0; k < ring[from].length; k++) {
      ring[to][k] = ring[from][k].clone();
      forced[to][k] = forced[from][k].clone();
    }
  }

  /** One slot's tokens and position, copied out ({@link #copy}, {@link #restore}). */
  public record Tokens(long offset, long[][] ring, boolean[][] forced) {}

  public Tokens copy(int slot) {
    long[][] r = new long[ring[slot].length][];
    boolean[][] f = new boolean[forced[slot].length][];
    for (int k = 0; k < r.length; k++) {
      r[k] = ring[slot][k].clone();
      f[k] = forced[slot][k].clone();
    }
    return new Tokens(offsets[slot], r, f);
  }

  /** The slot continues from {@code tokens}. */
  public void restore(int slot, Tokens tokens) {
    offsets[slot] = tokens.offset();
    for (int k = 0; k < ring[slot].length; k++) {
      System.arraycopy(tokens.ring()[k], 0, ring[slot][k], 0, columns);
      System.arraycopy(tokens.forced()[k], 0, forced[slot][k], 0, columns);
    }
  }

  /**
   * Whether this step's token of {@code stream} is to be sampled: not forced, and read later (a
   * token at a position up to the stream's delay never is: the model reads the initial token there,
   * and no frame includes it).
   */
  public boolean sampled(int slot, int stream) {
    long target = offsets[slot] + 1;
    return !forced[slot][stream][column(target)] && target > delays[stream];
  }

  /** Steps the slot has taken since its last reset. */
  public long offset(int slot) {
    return offsets[slot];
  }

  /**
   * Puts a token into {@code stream} at this step; the model reads it {@code delay[stream]} steps
   * later.
   */
  public void putDelayed(int slot, int stream, long token) {
    ring[slot][stream][column(offsets[slot] + delays[stream])] = token;
  }

  /**
   * Forces a generated stream's token for this step: it is what the step after this one generates
   * for {@code stream} {@code delay[stream]} steps later, in place of a sample (the teacher forcing
   * of a prompt, given undelayed like the user's codes).
   */
  public void force(int slot, int stream, long token) {
    int col = column(offsets[slot] + 1 + delays[stream]);
    ring[slot][stream][col] = token;
    forced[slot][stream][col] = true;
  }

  /** The token forced for {@code stream} at this step's target, or {@code sampled} if none was. */
  public long forcedOr(int slot, int stream, long sampled) {
    int col = column(offsets[slot] + 1);
    return forced[slot][stream][col] ? ring[slot][stream][col] : sampled;
  }

  /**
   * What {@code stream} feeds the model at this step: {@code initial} for an inactive slot or while
   * the stream's delay has not passed, else the ring's token.
   *
   * @throws IllegalStateException when the ring has no token there (a stream was never written)
   */
  public long input(int slot, int stream, boolean active, long initial) {
    if (!active || offsets[slot] <= delays[stream]) {
      return initial;
    }
    long token = ring[slot][stream][column(offsets[slot])];
    if (token == UNGENERATED) {
      throw new IllegalStateException(
          "slot " + slot + " stream " + stream + ": no token at step " + offsets[slot]);
    }
    return token;
  }

  /** Whether {@code stream}'s delay has passed at this step (it reads generated tokens). */
  public boolean pastDelay(int slot, int stream) {
    return offsets[slot] > delays[stream];
  }

  /**
   * Ends the slot's step: records the text token and the audio tokens it generated, advances, and
   * writes the realigned frame (text, then every audio stream) into {@code frame}. Returns false,
   * with {@code frame} all {@link #UNGENERATED}, while the delays are still filling.
   */
  public boolean advance(int slot, long text, long[] audio, long[] frame) {
    offsets[slot]++;
    int col = column(offsets[slot]);
    ring[slot][0][col] = text;
    for (int k = 0; k < audio.length; k++) {
      ring[slot][1 + k][col] = audio[k];
    }
    for (int k = 0; k <= audio.length; k++) {
      forced[slot][k][col] = false;
    }
    boolean produced = offsets[slot] > maxDelay;
    for (int k = 0; k < frame.length; k++) {
      frame[k] =
          produced ? ring[slot][k][column(offsets[slot] - maxDelay + delays[k])] : UNGENERATED;
    }
    return produced;
  }

  private int column(long step) {
    return (int) (step % columns);
  }
}
