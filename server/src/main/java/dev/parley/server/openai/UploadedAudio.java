package dev.parley.server.openai;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.opus.OggOpusReader;
import dev.parley.codec.resample.StreamingResampler;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An uploaded audio file to 24 kHz mono, with the decoders the server already has: WAV (any rate,
 * resampled) and Ogg Opus. Anything else is refused with a message naming what is accepted.
 */
final class UploadedAudio {
  static final String SUPPORTED = "wav, ogg (Opus)";

  private UploadedAudio() {}

  /**
   * @throws AudioFormatException for a container Parley cannot read (the message says which it
   *     looks like and what is supported)
   * @throws IOException for a malformed file of a supported kind
   */
  static float[] decode(byte[] file) throws IOException {
    if (starts(file, "OggS")) {
      List<float[]> parts = new ArrayList<>();
      OggOpusReader reader =
          new OggOpusReader(
              ModelAudio.SAMPLE_RATE,
              (p, off, len) -> parts.add(Arrays.copyOfRange(p, off, off + len)));
      reader.feed(file);
      reader.finish();
      return concat(parts);
    }
    if (starts(file, "RIFF")) {
      WavAudio wav = WavReader.read(new ByteArrayInputStream(file));
      return StreamingResampler.resample(wav.samples(), wav.sampleRate(), ModelAudio.SAMPLE_RATE);
    }
    throw new AudioFormatException(
        "Unsupported file format" + kind(file) + ". Supported formats: " + SUPPORTED);
  }

  /** What the file looks like, for the error message. */
  private static String kind(byte[] f) {
    if (starts(f, "ID3") || (f.length > 1 && (f[0] & 0xFF) == 0xFF && (f[1] & 0xE0) == 0xE0)) {
      return " (this looks like MP3 or AAC)";
    }
    if (starts(f, "fLaC")) {
      return " (this looks like FLAC)";
    }
    if (f.length > 8
        && new String(f, 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1).equals("ftyp")) {
      return " (this looks like MP4/M4A)";
    }
    if (f.length > 4 && (f[0] & 0xFF) == 0x1A && (f[1] & 0xFF) == 0x45) {
      return " (this looks like WebM)";
    }
    return "";
  }

  private static boolean starts(byte[] f, String magic) {
    if (f.length < magic.length()) {
      return false;
    }
    for (int i = 0; i < magic.length(); i++) {
      if (f[i] != magic.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static float[] concat(List<float[]> parts) {
    float[] all = new float[parts.stream().mapToInt(p -> p.length).sum()];
    int at = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }
}
