package dev.parley.client.cli;

import dev.parley.client.AudioFormats;
import dev.parley.codec.audio.Pcm;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavReader;
import dev.parley.proto.v1.AudioFormat;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@code parley transcribe} sends, recognized by its first bytes: a WAV file (any rate and
 * channels; mixed down to mono and sent as PCM_S16LE at its own rate, the server resamples), an Ogg
 * Opus file (its bytes as they are, OGG_OPUS), or raw signed 16-bit little-endian mono PCM (stdin
 * only, at {@code --stdin-rate}).
 */
final class TranscribeInput implements AutoCloseable {
  private static final byte[] OGG = "OggS".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] RIFF = "RIFF".getBytes(StandardCharsets.US_ASCII);

  /**
   * Bytes per second assumed for an Ogg Opus stream of unknown length (~32 kbit/s), for marker
   * spacing.
   */
  private static final double OGG_GUESS_BYTES_PER_SECOND = 4000;

  private final InputStream in;
  private final AudioFormat format;
  private final String description;
  private final long totalBytes;
  private final Double durationSeconds;
  private final double bytesPerSecond;
  private final boolean pcm;

  private TranscribeInput(
      InputStream in,
      AudioFormat format,
      String description,
      long totalBytes,
      Double durationSeconds,
      double bytesPerSecond,
      boolean pcm) {
    this.in = in;
    this.format = format;
    this.description = description;
    this.totalBytes = totalBytes;
    this.durationSeconds = durationSeconds;
    this.bytesPerSecond = bytesPerSecond;
    this.pcm = pcm;
  }

  /** Opens a WAV or Ogg Opus file. */
  static TranscribeInput file(Path path) throws IOException {
    if (!Files.isRegularFile(path)) {
      throw new IOException("no such file: " + path);
    }
    byte[] head = new byte[4];
    try (InputStream s = Files.newInputStream(path)) {
      int n = s.readNBytes(head, 0, 4);
      if (n == 4 && java.util.Arrays.equals(head, OGG)) {
        return ogg(Files.readAllBytes(path), path.toString());
      }
      if (n == 4 && java.util.Arrays.equals(head, RIFF)) {
        return wav(WavReader.read(path), path.toString());
      }
    }
    throw new IOException(
        path + ": neither a WAV nor an Ogg Opus file (for raw PCM use '-' and stdin)");
  }

  /**
   * Reads stdin: a WAV or Ogg Opus stream if it starts like one, otherwise raw s16le mono at {@code
   * rawRate}.
   */
  static TranscribeInput stdin(InputStream stdin, int rawRate) throws IOException {
    if (rawRate < 1000 || rawRate > 192000) {
      throw new IllegalArgumentException(
          "--stdin-rate must be between 1000 and 192000 Hz, got " + rawRate);
    }
    PushbackInputStream in = new PushbackInputStream(stdin, 4);
    byte[] head = in.readNBytes(4);
    in.unread(head);
    if (java.util.Arrays.equals(head, RIFF)) {
      return wav(WavReader.read(in), "stdin (WAV)");
    }
    if (java.util.Arrays.equals(head, OGG)) {
      return new TranscribeInput(
          in,
          AudioFormats.oggOpus(AudioFormats.MODEL_RATE),
          "stdin (Ogg Opus)",
          -1,
          null,
          OGG_GUESS_BYTES_PER_SECOND,
          false);
    }
    return new TranscribeInput(
        in,
        AudioFormats.pcmS16le(rawRate),
        "stdin (raw s16le mono, " + rawRate + " Hz)",
        -1,
        null,
        2.0 * rawRate,
        true);
  }

  private static TranscribeInput wav(WavAudio wav, String name) {
    byte[] pcm = Pcm.monoToS16le(wav.samples(), 0, wav.samples().length);
    return new TranscribeInput(
        new ByteArrayInputStream(pcm),
        AudioFormats.pcmS16le(wav.sampleRate()),
        String.format(
            java.util.Locale.ROOT,
            "%s (WAV, %d Hz, %d ch, %.1f s)",
            name,
            wav.sampleRate(),
            wav.channels(),
            wav.durationSeconds()),
        pcm.length,
        wav.durationSeconds(),
        2.0 * wav.sampleRate(),
        true);
  }

  private static TranscribeInput ogg(byte[] file, String name) throws IOException {
    double duration = oggOpusDuration(file, name);
    return new TranscribeInput(
        new ByteArrayInputStream(file),
        AudioFormats.oggOpus(AudioFormats.MODEL_RATE),
        String.format(java.util.Locale.ROOT, "%s (Ogg Opus, %.1f s)", name, duration),
        file.length,
        duration,
        duration > 0 ? file.length / duration : OGG_GUESS_BYTES_PER_SECOND,
        false);
  }

  /**
   * The length of an Ogg Opus file from its headers: the last page's granule position minus the
   * OpusHead pre-skip, at 48 kHz (RFC 7845). Not a full parse; the server decodes the stream.
   */
  static double oggOpusDuration(byte[] file, String name) throws IOException {
    int head =
        indexOf(
            file, "OpusHead".getBytes(StandardCharsets.US_ASCII), 0, Math.min(file.length, 512));
    if (head < 0 || head + 12 > file.length) {
      throw new IOException(name + ": an Ogg file without an OpusHead: only Ogg Opus is supported");
    }
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    int preSkip = b.getShort(head + 10) & 0xffff;
    for (int p = file.length - 27; p >= 0; p--) {
      if (file[p] == 'O'
          && file[p + 1] == 'g'
          && file[p + 2] == 'g'
          && file[p + 3] == 'S'
          && file[p + 4] == 0) {
        long granule = b.getLong(p + 6);
        if (granule >= 0) {
          return Math.max(0, granule - preSkip) / 48000.0;
        }
      }
    }
    throw new IOException(name + ": no Ogg page with a granule position: truncated file?");
  }

  private static int indexOf(byte[] data, byte[] what, int from, int to) {
    outer:
    for (int i = from; i + what.length <= to; i++) {
      for (int j = 0; j < what.length; j++) {
        if (data[i + j] != what[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  AudioFormat format() {
    return format;
  }

  String description() {
    return description;
  }

  /** Total bytes to send, or -1 when unknown (stdin). */
  long totalBytes() {
    return totalBytes;
  }

  /** Length of the audio in seconds, or null when unknown. */
  Double durationSeconds() {
    return durationSeconds;
  }

  /**
   * Bytes per second of audio: exact for PCM, the file's average for Ogg Opus, a guess for an Ogg
   * stream.
   */
  double bytesPerSecond() {
    return bytesPerSecond;
  }

  /** Whether byte positions map exactly to audio time (PCM) or only roughly (Ogg Opus). */
  boolean exactTiming() {
    return pcm;
  }

  /**
   * The next chunk of about 80 ms of audio (whole samples for PCM), or null at the end. Blocks on
   * stdin until a full chunk or the end arrives.
   */
  byte[] next() throws IOException {
    int size = (int) Math.max(pcm ? 2 : 256, Math.round(bytesPerSecond * 0.08));
    size -= size % 2;
    byte[] chunk = in.readNBytes(size);
    return chunk.length == 0 ? null : chunk;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
