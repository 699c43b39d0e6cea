package dev.parley.codec.nn;

/**
 * Streaming state of one module for a batch of independent slots. A streaming call with n rows
 * steps slots 0..n−1 only (the engines keep their live streams in the low slots, so idle slots cost
 * nothing); {@link #move} is how a stream changes slot.
 */
public interface SlotState {
  /** The slot starts a new stream. */
  void reset(int slot);

  /**
   * Slot {@code to} takes over the stream of slot {@code from}, exactly as it is; {@code from}'s
   * state is left as it was, to be reset before another stream uses it.
   */
  void move(int from, int to);

  SlotState NONE =
      new SlotState() {
        @Override
        public void reset(int slot) {}

        @Override
        public void move(int from, int to) {}
      };
}
