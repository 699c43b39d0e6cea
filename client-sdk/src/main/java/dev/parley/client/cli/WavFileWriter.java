package dev.parley.client.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a 16-bit PCM WAV file as its samples arrive. After every append the header's sizes are
 * brought up to the samples on disk, so a file cut off at any moment (Ctrl-C, a crash) is a valid
 * WAV of what was written, never one that claims more. A pipe such as /dev/stdout cannot be
 * rewritten: there the header keeps the streaming convention's unknown sizes (0xFFFFFFFF, which sox
 * and ffmpeg read up to the end of the stream). Not thread-safe.
 */
final class WavFileWriter implements AutoCloseable {
  static final int HEADER_BYTES = 44;

  private final FileChannel channel;
  private final int sampleRate;
  private final int channels;
  private final boolean seekable;
  private long dataBytes;
  private boolean closed;

  /** Creates (or truncates) {@code path}, creating its parent folders. */
  WavFileWriter(Path path, int sampleRate, int channels) throws IOException {
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.channel =
        FileChannel.open(
            path,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
    this.seekable =
        Files.isRegularFile(path); // not a pipe such as /dev/stdout: the header can be fixed
    writeFully(header(sampleRate, channels, seekable ? 0 : -1));
  }

  /**
   * The 44-byte header of a PCM s16 file with {@code dataBytes} of samples; -1: unknown
   * (streaming).
   */
  static ByteBuffer header(int sampleRate, int channels, long dataBytes) {
    ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    h.put(ascii("RIFF")).putInt(dataBytes < 0 ? -1 : (int) (36 + dataBytes)).put(ascii("WAVE"));
    h.put(ascii("fmt "))
        .putInt(16)
        .putShort((short) 1)
        .putShort((short) channels)
        .putInt(sampleRate)
        .putInt(sampleRate * channels * 2)
        .putShort((short) (channels * 2))
        .putShort((short) 16);
    h.put(ascii("data")).putInt(dataBytes < 0 ? -1 : (int) dataBytes);
    return h.flip();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** Appends signed 16-bit little-endian samples (interleaved if stereo). */
  void write(byte[] s16le) throws IOException {
    write(s16le, 0, s16le.length);
  }

  void write(byte[] s16le, int offset, int length) throws IOException {
    if (dataBytes + length > 0xFFFFFFFFL - 36) {
      throw new IOException("a WAV file holds at most 4 GiB of samples");
    }
    writeFully(ByteBuffer.wrap(s16le, offset, length));
    dataBytes += length;
    if (seekable) {
      writeSizes(); // after the samples: the header never claims bytes not yet on disk
    }
  }

  /** Puts the RIFF and data chunk sizes for the bytes written so far into the header. */
  private void writeSizes() throws IOException {
    ByteBuffer h = header(sampleRate, channels, dataBytes);
    ByteBuffer riff = h.duplicate().position(4).limit(8);
    while (riff.hasRemaining()) {
      channel.write(riff, riff.position());
    }
    ByteBuffer data = h.duplicate().position(40).limit(44);
    while (data.hasRemaining()) {
      channel.write(data, data.position());
    }
  }

  /** Bytes of samples written so far. */
  long dataBytes() {
    return dataBytes;
  }

  /** Sample frames written so far. */
  long frames() {
    return dataBytes / (2L * channels);
  }

  private void writeFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  /** Writes the real sizes into the header (pads an odd byte count first) and closes the file. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try (channel) {
      if (dataBytes % 2 != 0) {
        writeFully(ByteBuffer.wrap(new byte[1]));
      }
      if (seekable) {
        ByteBuffer h = header(sampleRate, channels, dataBytes);
        while (h.hasRemaining()) {
          channel.write(h, h.position());
        }
      }
    }
  }
}
