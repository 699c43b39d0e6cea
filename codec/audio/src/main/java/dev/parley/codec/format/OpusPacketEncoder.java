package dev.parley.codec.format;

import dev.parley.codec.audio.Pcm;
import dev.parley.codec.resample.StreamingResampler;
import io.github.jaredmdobson.concentus.OpusApplication;
import io.github.jaredmdobson.concentus.OpusEncoder;
import io.github.jaredmdobson.concentus.OpusException;
import io.github.jaredmdobson.concentus.OpusSignal;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Mono float to raw 20 ms Opus packets at the requested Opus rate, one packet per chunk, with the
 * settings of Parley's Ogg streams (32 kb/s voice, complexity 5). {@link #finish()} pads the last
 * partial packet with silence.
 */
final class OpusPacketEncoder implements AudioStreamEncoder {
  private final OpusEncoder encoder;
  private final StreamingResampler resampler;
  private final Consumer<byte[]> chunks;
  private final short[] frame;
  private final byte[] packet = new byte[1275];
  private int filled;

  OpusPacketEncoder(int sourceRate, StreamFormat format, Consumer<byte[]> chunks) {
    this.chunks = chunks;
    this.resampler = new StreamingResampler(sourceRate, format.sampleRate());
    try {
      this.encoder = new OpusEncoder(format.sampleRate(), 1, OpusApplication.OPUS_APPLICATION_VOIP);
    } catch (OpusException e) {
      throw new IllegalStateException(
          "Concentus refused an encoder at " + format.sampleRate() + " Hz", e);
    }
    encoder.setBitrate(32000);
    encoder.setComplexity(5);
    encoder.setSignalType(OpusSignal.OPUS_SIGNAL_VOICE);
    this.frame = new short[format.sampleRate() / 50];
  }

  @Override
  public void write(float[] pcm, int offset, int length) {
    push(resampler.process(pcm, offset, length));
  }

  @Override
  public void finish() {
    push(resampler.finish());
    if (filled > 0) {
      Arrays.fill(frame, filled, frame.length, (short) 0);
      filled = frame.length;
      encode();
    }
  }

  private void push(float[] samples) {
    for (float v : samples) {
      frame[filled++] = Pcm.floatToS16(v);
      if (filled == frame.length) {
        encode();
      }
    }
  }

  private void encode() {
    try {
      int n = encoder.encode(frame, 0, frame.length, packet, 0, packet.length);
      chunks.accept(Arrays.copyOf(packet, n));
    } catch (OpusException e) {
      throw new IllegalStateException("Opus encoder failed", e);
    }
    filled = 0;
  }
}
