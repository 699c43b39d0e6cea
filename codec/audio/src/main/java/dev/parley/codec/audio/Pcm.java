package dev.parley.codec.audio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Conversions between float PCM in [-1, 1] and the integer and byte layouts clients send. */
public final class Pcm {
  private Pcm() {}

  /**
   * Float to 16-bit with rounding and clipping; the inverse of {@link #s16ToFloat(short)} on its
   * range.
   */
  public static short floatToS16(float x) {
    float scaled = x * 32768f;
    if (!(scaled < 32767f)) {
      return scaled != scaled ? 0 : Short.MAX_VALUE; // NaN becomes silence
    }
    if (scaled <= -32768f) {
      return Short.MIN_VALUE;
    }
    return (short) Math.round(scaled);
  }

  public static float s16ToFloat(short s) {
    return s / 32768f;
  }

  public static void floatToS16(float[] in, int inOff, short[] out, int outOff, int length) {
    for (int i = 0; i < length; i++) {
      out[outOff + i] = floatToS16(in[inOff + i]);
    }
  }

  public static void s16ToFloat(short[] in, int inOff, float[] out, int outOff, int length) {
    for (int i = 0; i < length; i++) {
      out[outOff + i] = in[inOff + i] / 32768f;
    }
  }

  /** Signed 16-bit little-endian bytes (channels interleaved) to mono float, averaging channels. */
  public static float[] s16leToMono(byte[] bytes, int channels) {
    requireWhole(bytes.length, 2 * channels, "PCM_S16LE");
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[bytes.length / (2 * channels)];
    for (int i = 0; i < out.length; i++) {
      float sum = 0;
      for (int c = 0; c < channels; c++) {
        sum += buf.getShort() / 32768f;
      }
      out[i] = channels == 1 ? sum : sum / channels;
    }
    return out;
  }

  /** 32-bit float little-endian bytes (channels interleaved) to mono float, averaging channels. */
  public static float[] f32leToMono(byte[] bytes, int channels) {
    requireWhole(bytes.length, 4 * channels, "PCM_F32LE");
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[bytes.length / (4 * channels)];
    for (int i = 0; i < out.length; i++) {
      float sum = 0;
      for (int c = 0; c < channels; c++) {
        sum += buf.getFloat();
      }
      out[i] = channels == 1 ? sum : sum / channels;
    }
    return out;
  }

  public static byte[] monoToS16le(float[] samples, int offset, int length) {
    ByteBuffer buf = ByteBuffer.allocate(2 * length).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < length; i++) {
      buf.putShort(floatToS16(samples[offset + i]));
    }
    return buf.array();
  }

  public static byte[] monoToF32le(float[] samples, int offset, int length) {
    ByteBuffer buf = ByteBuffer.allocate(4 * length).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < length; i++) {
      buf.putFloat(samples[offset + i]);
    }
    return buf.array();
  }

  private static void requireWhole(int bytes, int frameBytes, String encoding) {
    if (bytes % frameBytes != 0) {
      throw new IllegalArgumentException(
          String.format(
              "%s chunk of %d bytes is not a whole number of %d-byte sample frames",
              encoding, bytes, frameBytes));
    }
  }
}
