package dev.parley.server.openai;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.audio.Pcm;
import dev.parley.codec.opus.OggOpusWriter;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The engine's 24 kHz float frames to the bytes of one {@link SpeechFormat}, as they come. */
final class SpeechEncoder {
  private final SpeechFormat format;
  private final ByteArrayOutputStream pages = new ByteArrayOutputStream();
  private OggOpusWriter ogg;

  SpeechEncoder(SpeechFormat format) {
    this.format = format;
  }

  /** What goes before the first audio: a WAV header, the Opus header pages; else nothing. */
  byte[] start() {
    switch (format) {
      case WAV -> {
        return streamingWavHeader();
      }
      case OPUS -> {
        ogg = new OggOpusWriter(OggOpusWriter.Options.speech24k(), pages::writeBytes);
        ogg.flush();
        return take();
      }
      default -> {
        return new byte[0];
      }
    }
  }

  /** The bytes for one frame (for Opus, the pages it completed: possibly none). */
  byte[] encode(float[] pcm) {
    if (format == SpeechFormat.OPUS) {
      ogg.write(pcm);
      return take();
    }
    ByteBuffer b = ByteBuffer.allocate(pcm.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : pcm) {
      b.putShort(Pcm.floatToS16(x));
    }
    return b.array();
  }

  /** What ends the stream: Ogg's last page (its granule trims the padding); else nothing. */
  byte[] finish() {
    if (ogg != null) {
      ogg.close();
      return take();
    }
    return new byte[0];
  }

  private byte[] take() {
    byte[] b = pages.toByteArray();
    pages.reset();
    return b;
  }

  /** A 16-bit mono 24 kHz RIFF header whose RIFF and data sizes are 0xFFFFFFFF (unknown). */
  static byte[] streamingWavHeader() {
    ByteBuffer b = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    b.putInt(0xFFFFFFFF);
    b.put("WAVEfmt ".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    b.putInt(16);
    b.putShort((short) 1); // PCM
    b.putShort((short) 1); // mono
    b.putInt(ModelAudio.SAMPLE_RATE);
    b.putInt(ModelAudio.SAMPLE_RATE * 2);
    b.putShort((short) 2);
    b.putShort((short) 16);
    b.put("data".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    b.putInt(0xFFFFFFFF);
    return b.array();
  }
}
