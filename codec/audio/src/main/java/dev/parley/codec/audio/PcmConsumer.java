package dev.parley.codec.audio;

/** Receives mono float PCM as it is produced. The array may be reused after the call returns. */
@FunctionalInterface
public interface PcmConsumer {
  void accept(float[] samples, int offset, int length);
}
