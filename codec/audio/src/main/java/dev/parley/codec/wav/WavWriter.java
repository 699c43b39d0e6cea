package dev.parley.codec.wav;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes RIFF WAVE files in any {@link WavEncoding}. Float encodings keep every bit of the input;
 * their header is the one the format asks of a non-PCM encoding (an 18-byte fmt chunk with its
 * cbSize and a fact chunk with the frame count), so sox and others read them without a warning.
 */
public final class WavWriter {
  private WavWriter() {}

  /**
   * Writes a whole mono file. It is written beside {@code path} and moved into place once complete,
   * so an interrupted write never leaves a file whose header promises missing samples.
   */
  public static void writeMono(Path path, float[] samples, int sampleRate, WavEncoding encoding)
      throws IOException {
    Path target = path.toAbsolutePath();
    if (Files.exists(target) && !Files.isRegularFile(target)) { // a pipe or device: no rename
      try (OutputStream out = Files.newOutputStream(target)) {
        write(out, samples, 1, sampleRate, encoding);
      }
      return;
    }
    Path partial = target.resolveSibling(target.getFileName() + ".part");
    try {
      try (OutputStream out = Files.newOutputStream(partial)) {
        write(out, samples, 1, sampleRate, encoding);
      }
      Files.move(
          partial,
          target,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  /**
   * The header of a file of {@code dataBytes} sample bytes, up to and with the data chunk's size:
   * 44 bytes for integer PCM, 58 for float (fmt with cbSize, and fact).
   */
  public static ByteBuffer header(
      WavEncoding encoding, int channels, int sampleRate, long dataBytes) {
    int bytes = encoding.bytesPerSample();
    boolean pcm = encoding.formatTag == 1;
    int fmtSize = pcm ? 16 : 18;
    int headerBytes = 12 + 8 + fmtSize + (pcm ? 0 : 12) + 8;
    ByteBuffer head = ByteBuffer.allocate(headerBytes).order(ByteOrder.LITTLE_ENDIAN);
    long riffSize = headerBytes - 8 + dataBytes + (dataBytes & 1);
    head.put(new byte[] {'R', 'I', 'F', 'F'}).putInt((int) riffSize);
    head.put(new byte[] {'W', 'A', 'V', 'E', 'f', 'm', 't', ' '}).putInt(fmtSize);
    head.putShort((short) encoding.formatTag).putShort((short) channels).putInt(sampleRate);
    head.putInt(sampleRate * channels * bytes)
        .putShort((short) (channels * bytes))
        .putShort((short) encoding.bitsPerSample);
    if (!pcm) {
      head.putShort((short) 0); // cbSize: no extension
      head.put(new byte[] {'f', 'a', 'c', 't'}).putInt(4);
      head.putInt((int) (dataBytes / ((long) channels * bytes))); // sample frames
    }
    head.put(new byte[] {'d', 'a', 't', 'a'}).putInt((int) dataBytes);
    return head.flip();
  }

  /**
   * @param interleaved samples with channels interleaved, {@code channels} per frame
   */
  public static void write(
      OutputStream out, float[] interleaved, int channels, int sampleRate, WavEncoding encoding)
      throws IOException {
    if (channels <= 0 || interleaved.length % channels != 0) {
      throw new IllegalArgumentException(
          interleaved.length + " samples are not whole frames of " + channels + " channels");
    }
    int bytes = encoding.bytesPerSample();
    long dataBytes = (long) interleaved.length * bytes;
    if (dataBytes > 0xFFFFFFFFL - 60) {
      throw new IllegalArgumentException("WAV files hold at most 4 GiB of samples");
    }
    ByteBuffer head = header(encoding, channels, sampleRate, dataBytes);
    out.write(head.array(), 0, head.limit());
    ByteBuffer data = ByteBuffer.allocate(8192 * bytes).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : interleaved) {
      put(data, x, encoding);
      if (!data.hasRemaining()) {
        out.write(data.array(), 0, data.position());
        data.clear();
      }
    }
    out.write(data.array(), 0, data.position());
    if ((dataBytes & 1) != 0) {
      out.write(0); // RIFF pads chunks to an even size
    }
  }

  private static void put(ByteBuffer b, float x, WavEncoding encoding) {
    switch (encoding) {
      case PCM_U8:
        b.put((byte) (clamp(Math.round(x * 128.0), -128, 127) + 128));
        break;
      case PCM_S16:
        b.putShort((short) clamp(Math.round(x * 32768.0), -32768, 32767));
        break;
      case PCM_S24:
        int v = (int) clamp(Math.round(x * 8388608.0), -8388608, 8388607);
        b.put((byte) v).put((byte) (v >> 8)).put((byte) (v >> 16));
        break;
      case PCM_S32:
        b.putInt((int) clamp(Math.round(x * 2147483648.0), Integer.MIN_VALUE, Integer.MAX_VALUE));
        break;
      case FLOAT32:
        b.putFloat(x);
        break;
      case FLOAT64:
        b.putDouble(x);
        break;
      default:
        throw new AssertionError(encoding);
    }
  }

  private static long clamp(long v, long lo, long hi) {
    return Math.max(lo, Math.min(hi, v));
  }
}
