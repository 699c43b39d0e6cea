package dev.parley.codec.nn;

/** Streaming state of one module for a batch of independent slots. */
public interface SlotState {
  /** The slot starts a new stream. */
  void reset(int slot);

  SlotState NONE = slot -> {};
}
