package dev.parley.codec.format;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.audio.IntegerDecimator;
import dev.parley.codec.audio.PcmConsumer;
import dev.parley.codec.opus.OpusStreamException;
import dev.parley.codec.resample.StreamingResampler;
import io.github.jaredmdobson.concentus.OpusDecoder;
import io.github.jaredmdobson.concentus.OpusException;
import io.github.jaredmdobson.concentus.OpusPacketInfo;

/**
 * Raw Opus packets, one per chunk, to mono float. Decoded at 48 kHz and brought to the target rate
 * afterwards (Concentus decodes hybrid-mode packets to silence at lower rates). With no container
 * there is no pre-skip to drop: output starts with the decoder's own delay, as with any raw Opus
 * receiver. An empty chunk stands for a lost packet and is concealed.
 */
final class OpusPacketDecoder implements AudioStreamDecoder {
  private static final int MAX_PACKET_SAMPLES_48K = 5760; // 120 ms

  private final OpusDecoder decoder;
  private final IntegerDecimator decimator; // for 24, 16, 12, 8 kHz targets
  private final StreamingResampler resampler; // for other targets
  private final PcmConsumer sink;
  private final short[] decoded = new short[MAX_PACKET_SAMPLES_48K];
  private final float[] floats = new float[MAX_PACKET_SAMPLES_48K];
  private long packets;
  private int lastPacketSamples;

  OpusPacketDecoder(int targetRate, PcmConsumer sink) {
    this.sink = sink;
    try {
      this.decoder = new OpusDecoder(48000, 1);
    } catch (OpusException e) {
      throw new IllegalStateException("Concentus refused a 48 kHz decoder", e);
    }
    boolean integer = 48000 % targetRate == 0;
    this.decimator = integer ? new IntegerDecimator(48000 / targetRate) : null;
    this.resampler = integer ? null : new StreamingResampler(48000, targetRate);
  }

  @Override
  public void feed(byte[] packet) throws AudioFormatException {
    long index = packets++;
    int samples;
    try {
      if (packet.length == 0) {
        samples =
            lastPacketSamples == 0
                ? 0
                : decoder.decode(null, 0, 0, decoded, 0, lastPacketSamples, false);
      } else {
        int n = OpusPacketInfo.getNumSamples(packet, 0, packet.length, 48000);
        if (n <= 0 || n > MAX_PACKET_SAMPLES_48K) {
          throw new OpusStreamException(
              String.format(
                  "chunk %d is not an Opus packet (%d bytes, TOC byte 0x%02x)",
                  index, packet.length, packet[0] & 0xFF));
        }
        samples = decoder.decode(packet, 0, packet.length, decoded, 0, decoded.length, false);
      }
    } catch (OpusException | RuntimeException e) {
      throw new OpusStreamException(
          String.format(
              "cannot decode Opus packet %d (%d bytes): %s", index, packet.length, e.getMessage()),
          e);
    }
    if (samples > 0) {
      lastPacketSamples = samples;
    }
    for (int i = 0; i < samples; i++) {
      floats[i] = decoded[i] / 32768f;
    }
    if (decimator != null) {
      decimator.process(floats, 0, samples, sink);
    } else {
      float[] out = resampler.process(floats, 0, samples);
      sink.accept(out, 0, out.length);
    }
  }

  @Override
  public void finish() {
    if (decimator != null) {
      decimator.finish(sink);
    } else {
      float[] tail = resampler.finish();
      sink.accept(tail, 0, tail.length);
    }
  }
}
