package dev.parley.codec.wav;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads RIFF WAVE files: integer PCM (8, 16, 24, 32 bit), IEEE float (32, 64 bit), plain or
 * WAVE_FORMAT_EXTENSIBLE, any rate and channel count, mixed down to mono by averaging. A data chunk
 * whose size is 0 or 0xFFFFFFFF (written by a pipe that could not seek back) is read to the end of
 * the file.
 *
 * <p>Hand-written rather than javax.sound, which rejects 24-bit/extensible files on some JDKs and
 * cannot tell us which encoding it refused.
 */
public final class WavReader {
  private WavReader() {}

  public static WavAudio read(Path path) throws IOException {
    return read(Files.readAllBytes(path), path.toString());
  }

  public static WavAudio read(InputStream in) throws IOException {
    return read(in.readAllBytes(), "stream");
  }

  static WavAudio read(byte[] file, String name) throws UnsupportedWavException {
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    if (file.length < 12) {
      throw new UnsupportedWavException(
          name + ": " + file.length + " bytes is too short for a WAV file");
    }
    String riff = fourCc(b, 0);
    if (riff.equals("RF64") || riff.equals("RIFX")) {
      throw new UnsupportedWavException(
          name + ": " + riff + " files are not supported; convert to a RIFF WAV");
    }
    if (!riff.equals("RIFF") || !fourCc(b, 8).equals("WAVE")) {
      throw new UnsupportedWavException(
          name + ": not a RIFF WAVE file (starts with \"" + riff + "\")");
    }
    int pos = 12;
    WavEncoding encoding = null;
    int channels = 0;
    int rate = 0;
    int blockAlign = 0;
    while (pos + 8 <= file.length) {
      String id = fourCc(b, pos);
      long size = b.getInt(pos + 4) & 0xFFFFFFFFL;
      int body = pos + 8;
      if (id.equals("fmt ")) {
        if (size < 16 || body + size > file.length) {
          throw new UnsupportedWavException(
              name + ": fmt chunk of " + size + " bytes is malformed");
        }
        int tag = b.getShort(body) & 0xFFFF;
        channels = b.getShort(body + 2) & 0xFFFF;
        rate = b.getInt(body + 4);
        blockAlign = b.getShort(body + 12) & 0xFFFF;
        int bits = b.getShort(body + 14) & 0xFFFF;
        if (tag
            == 0xFFFE) { // WAVE_FORMAT_EXTENSIBLE: the real tag is the head of the sub-format GUID
          if (size < 40) {
            throw new UnsupportedWavException(
                name + ": WAVE_FORMAT_EXTENSIBLE fmt chunk of " + size + " bytes is too short");
          }
          tag = b.getShort(body + 24) & 0xFFFF;
        }
        encoding = WavEncoding.of(tag, bits);
        if (encoding == null) {
          throw new UnsupportedWavException(
              name
                  + ": WAV encoding "
                  + describe(tag, bits)
                  + " is not supported; use integer PCM (8, 16, 24 or 32 bit) or IEEE float (32 or 64 bit)");
        }
        if (channels == 0 || rate <= 0) {
          throw new UnsupportedWavException(
              name + ": fmt chunk declares " + channels + " channels at " + rate + " Hz");
        }
        if (blockAlign != channels * encoding.bytesPerSample()) {
          throw new UnsupportedWavException(
              name
                  + ": block align "
                  + blockAlign
                  + " does not match "
                  + channels
                  + " channels of "
                  + encoding);
        }
      } else if (id.equals("data")) {
        if (encoding == null) {
          throw new UnsupportedWavException(name + ": data chunk before the fmt chunk");
        }
        long available = file.length - body;
        long length = (size == 0 || size == 0xFFFFFFFFL || size > available) ? available : size;
        length -= length % blockAlign;
        return new WavAudio(
            toMono(b, body, (int) length, channels, encoding), rate, channels, encoding);
      }
      pos =
          (int) Math.min(file.length, body + size + (size & 1)); // chunks are padded to even sizes
    }
    throw new UnsupportedWavException(
        name + (encoding == null ? ": no fmt chunk" : ": no data chunk"));
  }

  private static float[] toMono(
      ByteBuffer b, int offset, int length, int channels, WavEncoding encoding) {
    int frames = length / (channels * encoding.bytesPerSample());
    float[] mono = new float[frames];
    int pos = offset;
    for (int f = 0; f < frames; f++) {
      float sum = sample(b, pos, encoding); // no 0 + x: that would turn -0.0 into +0.0
      pos += encoding.bytesPerSample();
      for (int c = 1; c < channels; c++) {
        sum += sample(b, pos, encoding);
        pos += encoding.bytesPerSample();
      }
      mono[f] = channels == 1 ? sum : sum / channels;
    }
    return mono;
  }

  private static float sample(ByteBuffer b, int at, WavEncoding encoding) {
    switch (encoding) {
      case PCM_U8:
        return ((b.get(at) & 0xFF) - 128) / 128f;
      case PCM_S16:
        return b.getShort(at) / 32768f;
      case PCM_S24:
        int v = (b.get(at) & 0xFF) | (b.get(at + 1) & 0xFF) << 8 | b.get(at + 2) << 16;
        return v / 8388608f;
      case PCM_S32:
        return (float) (b.getInt(at) / 2147483648.0);
      case FLOAT32:
        return b.getFloat(at);
      case FLOAT64:
        return (float) b.getDouble(at);
      default:
        throw new AssertionError(encoding);
    }
  }

  private static String fourCc(ByteBuffer b, int at) {
    char[] c = new char[4];
    for (int i = 0; i < 4; i++) {
      int x = b.get(at + i) & 0xFF;
      c[i] = x >= 0x20 && x < 0x7F ? (char) x : '?';
    }
    return new String(c);
  }

  private static String describe(int tag, int bits) {
    String name;
    switch (tag) {
      case 0x0001:
        name = "integer PCM";
        break;
      case 0x0002:
        name = "Microsoft ADPCM";
        break;
      case 0x0003:
        name = "IEEE float";
        break;
      case 0x0006:
        name = "A-law";
        break;
      case 0x0007:
        name = "mu-law";
        break;
      case 0x0011:
        name = "IMA ADPCM";
        break;
      case 0x0031:
        name = "GSM 6.10";
        break;
      case 0x0050:
        name = "MPEG";
        break;
      case 0x0055:
        name = "MPEG Layer 3";
        break;
      default:
        name = "unknown";
    }
    return String.format("0x%04X (%s, %d bits per sample)", tag, name, bits);
  }
}
