package dev.parley.codec.audio;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Cuts a stream of PCM chunks of any size into frames of exactly {@code frameSize} samples, in
 * order, with nothing lost or repeated at chunk edges. The same class goes the other way round:
 * feed it 1920-sample Mimi frames and a smaller frame size (say 480 for 20 ms Opus packets).
 *
 * <p>Each emitted frame is a fresh array that the consumer may keep.
 */
public final class FrameAssembler {
  private final int frameSize;
  private final Consumer<float[]> frames;
  private float[] pending;
  private int filled;

  public FrameAssembler(int frameSize, Consumer<float[]> frames) {
    if (frameSize <= 0) {
      throw new IllegalArgumentException("frame size must be positive, got " + frameSize);
    }
    this.frameSize = frameSize;
    this.frames = frames;
    this.pending = new float[frameSize];
  }

  public int frameSize() {
    return frameSize;
  }

  /** Samples held back until the next frame completes; always below {@link #frameSize()}. */
  public int pendingSamples() {
    return filled;
  }

  public void push(float[] samples) {
    push(samples, 0, samples.length);
  }

  public void push(float[] samples, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, samples.length);
    int pos = offset;
    int end = offset + length;
    while (pos < end) {
      int n = Math.min(frameSize - filled, end - pos);
      System.arraycopy(samples, pos, pending, filled, n);
      filled += n;
      pos += n;
      if (filled == frameSize) {
        emit();
      }
    }
  }

  /**
   * Ends the stream: a partial frame is completed with silence and emitted.
   *
   * @return the number of silent samples added (0 when nothing was pending)
   */
  public int flushWithSilence() {
    if (filled == 0) {
      return 0;
    }
    int padding = frameSize - filled;
    Arrays.fill(pending, filled, frameSize, 0f);
    emit();
    return padding;
  }

  private void emit() {
    float[] frame = pending;
    pending = new float[frameSize];
    filled = 0;
    frames.accept(frame);
  }

  /** Drops any partial frame, as after a session reset. */
  public void reset() {
    filled = 0;
  }
}
