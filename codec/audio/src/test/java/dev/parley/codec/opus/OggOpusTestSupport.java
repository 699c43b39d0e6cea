package dev.parley.codec.opus;

import dev.parley.codec.audio.AudioFormatException;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

final class OggOpusTestSupport {
  private OggOpusTestSupport() {}

  static List<byte[]> encodePages(float[] pcm, OggOpusWriter.Options options, int chunk) {
    List<byte[]> pages = new ArrayList<>();
    try (OggOpusWriter w = new OggOpusWriter(options, 42, pages::add)) {
      for (int i = 0; i < pcm.length; i += chunk) {
        w.write(pcm, i, Math.min(chunk, pcm.length - i));
      }
    }
    return pages;
  }

  static byte[] concat(List<byte[]> pages) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    pages.forEach(out::writeBytes);
    return out.toByteArray();
  }

  /** Decodes a whole stream, feeding it in random pieces as a network would deliver it. */
  static float[] decode(byte[] stream, int rate, long seed) throws AudioFormatException {
    FloatCollector out = new FloatCollector();
    OggOpusReader reader = new OggOpusReader(rate, out);
    feedInPieces(reader, stream, new Random(seed), 500);
    reader.finish();
    return out.toArray();
  }

  /** Feeds a stream in random pieces of 1 to {@code maxPiece} bytes. */
  static void feedInPieces(OggOpusReader reader, byte[] stream, Random r, int maxPiece)
      throws AudioFormatException {
    int pos = 0;
    while (pos < stream.length) {
      int n = Math.min(stream.length - pos, 1 + r.nextInt(maxPiece));
      reader.feed(stream, pos, n);
      pos += n;
    }
  }

  static final class FloatCollector implements dev.parley.codec.audio.PcmConsumer {
    private float[] data = new float[4096];
    private int size;

    @Override
    public void accept(float[] samples, int offset, int length) {
      if (size + length > data.length) {
        data = java.util.Arrays.copyOf(data, Math.max(2 * data.length, size + length));
      }
      System.arraycopy(samples, offset, data, size, length);
      size += length;
    }

    int size() {
      return size;
    }

    float[] toArray() {
      return java.util.Arrays.copyOf(data, size);
    }
  }
}
