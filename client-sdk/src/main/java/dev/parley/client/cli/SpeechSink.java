package dev.parley.client.cli;

import dev.parley.client.AudioFormats;
import dev.parley.client.audio.PcmDecoder;
import dev.parley.client.sound.SpeakerPlayback;
import dev.parley.codec.opus.OggOpusReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where {@code parley speak} puts the audio as it arrives: a WAV file (its header fixed at the
 * end), the server's Ogg Opus bytes as they are, or raw PCM; and the speaker. Counts the seconds
 * received (Ogg Opus is decoded for that, and for the speaker). Thread-safe.
 */
final class SpeechSink implements AutoCloseable {
  private static final int RATE = AudioFormats.MODEL_RATE;

  private final SpeakCommand.Format format;
  private final SpeakerPlayback speaker;
  private final Path output;
  private long bytes;
  private final WavFileWriter wav;
  private final OutputStream file;
  private final PcmDecoder pcm = new PcmDecoder(AudioFormats.pcmS16le(RATE));
  private final OggOpusReader ogg;
  private volatile long samples;

  /**
   * @param output the file to write, or null
   * @param speaker where to play the audio, or null
   */
  SpeechSink(SpeakCommand.Format format, Path output, SpeakerPlayback speaker) throws IOException {
    this.format = format;
    this.speaker = speaker;
    this.output = output;
    this.wav =
        output != null && format == SpeakCommand.Format.wav
            ? new WavFileWriter(output, RATE, 1)
            : null;
    if (output != null && format != SpeakCommand.Format.wav) {
      Path parent = output.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      this.file = Files.newOutputStream(output);
    } else {
      this.file = null;
    }
    this.ogg =
        format == SpeakCommand.Format.ogg
            ? new OggOpusReader(
                RATE,
                (x, offset, length) -> {
                  samples += length;
                  if (speaker != null) {
                    speaker.play(Arrays.copyOfRange(x, offset, offset + length));
                  }
                })
            : null;
  }

  /** One chunk of the server's audio: PCM_S16LE 24 kHz mono, or Ogg Opus for the ogg format. */
  synchronized void write(byte[] chunk) throws IOException {
    bytes += chunk.length;
    if (wav != null) {
      wav.write(chunk);
    } else if (file != null) {
      file.write(chunk);
    }
    if (ogg != null) {
      ogg.feed(chunk);
      return;
    }
    samples += chunk.length / 2;
    if (speaker != null) {
      speaker.play(pcm.decode(chunk));
    }
  }

  /** Seconds of audio received so far. */
  double seconds() {
    return samples / (double) RATE;
  }

  SpeakCommand.Format format() {
    return format;
  }

  /**
   * After a failure: closes the output and deletes it if no audio came, so a refused request leaves
   * no file behind.
   *
   * @return true if the output file is kept (some audio had arrived)
   */
  synchronized boolean abandon() throws IOException {
    close();
    if (output == null) {
      return false;
    }
    if (bytes == 0) {
      Files.deleteIfExists(output);
      return false;
    }
    return true;
  }

  @Override
  // The resource is opened for what closing it does.
  @SuppressWarnings("try")
  public synchronized void close() throws IOException {
    try (OutputStream f = file) {
      if (wav != null) {
        wav.close();
      }
    }
  }
}
