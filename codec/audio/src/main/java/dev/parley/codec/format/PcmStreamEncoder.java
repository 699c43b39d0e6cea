package dev.parley.codec.format;

import dev.parley.codec.audio.Pcm;
import dev.parley.codec.resample.StreamingResampler;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;

/** Mono float to PCM bytes at the requested rate; stereo gets the same signal on both channels. */
final class PcmStreamEncoder implements AudioStreamEncoder {
  private final StreamFormat format;
  private final Consumer<byte[]> chunks;
  private final StreamingResampler resampler;

  PcmStreamEncoder(int sourceRate, StreamFormat format, Consumer<byte[]> chunks) {
    this.format = format;
    this.chunks = chunks;
    this.resampler = new StreamingResampler(sourceRate, format.sampleRate());
  }

  @Override
  public void write(float[] pcm, int offset, int length) {
    emit(resampler.process(pcm, offset, length));
  }

  @Override
  public void finish() {
    emit(resampler.finish());
  }

  private void emit(float[] mono) {
    if (mono.length == 0) {
      return;
    }
    boolean s16 = format.encoding() == StreamEncoding.PCM_S16LE;
    ByteBuffer out =
        ByteBuffer.allocate(mono.length * format.channels() * (s16 ? 2 : 4))
            .order(ByteOrder.LITTLE_ENDIAN);
    for (float v : mono) {
      for (int c = 0; c < format.channels(); c++) {
        if (s16) {
          out.putShort(Pcm.floatToS16(v));
        } else {
          out.putFloat(v);
        }
      }
    }
    chunks.accept(out.array());
  }
}
