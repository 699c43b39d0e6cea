package dev.parley.client.audio;

import dev.parley.codec.audio.Pcm;
import dev.parley.proto.v1.AudioFormat;
import dev.parley.proto.v1.Encoding;
import java.util.Arrays;

/**
 * Turns a stream of PCM_S16LE or PCM_F32LE chunks (mono or interleaved stereo) into mono floats,
 * carrying a partial sample frame over to the next chunk, so chunks may split anywhere. Not
 * thread-safe.
 */
public final class PcmDecoder {
  private final Encoding encoding;
  private final int channels;
  private final int frameBytes;
  private byte[] carry = new byte[0];

  public PcmDecoder(AudioFormat format) {
    this.encoding = format.getEncoding();
    this.channels = Math.max(1, format.getChannels());
    this.frameBytes =
        switch (encoding) {
          case PCM_S16LE -> 2 * channels;
          case PCM_F32LE -> 4 * channels;
          default ->
              throw new IllegalArgumentException(
                  "PcmDecoder decodes PCM_S16LE and PCM_F32LE, not " + encoding);
        };
  }

  /** Decodes the whole sample frames available so far. */
  public float[] decode(byte[] chunk) {
    byte[] bytes = carry.length == 0 ? chunk : concat(carry, chunk);
    int whole = bytes.length - bytes.length % frameBytes;
    carry = Arrays.copyOfRange(bytes, whole, bytes.length);
    byte[] frames = whole == bytes.length ? bytes : Arrays.copyOf(bytes, whole);
    return encoding == Encoding.PCM_S16LE
        ? Pcm.s16leToMono(frames, channels)
        : Pcm.f32leToMono(frames, channels);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
