package dev.parley.codec.mimi;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.parley.codec.nn.SlotState;
import dev.parley.codec.nn.Transformer;

/**
 * Streaming state of B independent Mimi streams (the server batches sessions): every conv's carried
 * samples, every transposed conv's pending overlap, both transformers' KV rings and positions.
 * Owned by one caller; close it to free its native memory.
 */
public final class MimiStreams implements AutoCloseable {
  private final NDManager manager;
  private final int batch;
  final SlotState encoder;
  final Transformer.State encoderTransformer;
  final SlotState downsample;
  final SlotState upsample;
  final Transformer.State decoderTransformer;
  final SlotState decoder;

  MimiStreams(
      NDManager manager,
      int batch,
      SlotState encoder,
      Transformer.State encoderTransformer,
      SlotState downsample,
      SlotState upsample,
      Transformer.State decoderTransformer,
      SlotState decoder) {
    this.manager = manager;
    this.batch = batch;
    this.encoder = encoder;
    this.encoderTransformer = encoderTransformer;
    this.downsample = downsample;
    this.upsample = upsample;
    this.decoderTransformer = decoderTransformer;
    this.decoder = decoder;
  }

  public int batch() {
    return batch;
  }

  NDManager manager() {
    return manager;
  }

  /** Slot {@code slot} starts a new encoder stream (zero history, position 0). */
  // The scope is opened for what closing it does: it frees every array made inside.
  @SuppressWarnings("try")
  public void resetEncoder(int slot) {
    // Zeroing a slot in place makes DJL create a scalar tensor in the state's manager: scope it.
    try (NDScope ignored = new NDScope()) {
      encoder.reset(slot);
      encoderTransformer.reset(slot);
      downsample.reset(slot);
    }
  }

  /** Slot {@code slot} starts a new decoder stream. */
  // The scope is opened for what closing it does: it frees every array made inside.
  @SuppressWarnings("try")
  public void resetDecoder(int slot) {
    try (NDScope ignored = new NDScope()) {
      upsample.reset(slot);
      decoderTransformer.reset(slot);
      decoder.reset(slot);
    }
  }

  /**
   * Slot {@code to} takes over the encoder and decoder streams of slot {@code from}, exactly as
   * they are (the server keeps its live sessions in the low slots).
   */
  // The scope is opened for what closing it does: it frees every array made inside.
  @SuppressWarnings("try")
  public void move(int from, int to) {
    try (NDScope ignored = new NDScope()) {
      for (SlotState state :
          new SlotState[] {
            encoder, encoderTransformer, downsample, upsample, decoderTransformer, decoder
          }) {
        state.move(from, to);
      }
    }
  }

  /** The reference's {@code reset_streaming} for one slot: encoder and decoder both. */
  public void reset(int slot) {
    resetEncoder(slot);
    resetDecoder(slot);
  }

  @Override
  public void close() {
    manager.close();
  }
}
