package dev.parley.codec.opus;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.audio.IntegerDecimator;
import dev.parley.codec.audio.PcmConsumer;
import dev.parley.codec.ogg.OggPacket;
import dev.parley.codec.ogg.OggPacketReader;
import io.github.jaredmdobson.concentus.OpusDecoder;
import io.github.jaredmdobson.concentus.OpusException;
import io.github.jaredmdobson.concentus.OpusPacketInfo;
import java.util.Arrays;

/**
 * Decodes a live Ogg Opus stream (RFC 7845) to mono float PCM at a chosen rate (24 kHz for Mimi).
 * Bytes may be split anywhere; PCM comes out as soon as each packet's page has arrived.
 *
 * <p>Packets are decoded at 48 kHz and decimated to the output rate: Concentus decodes hybrid-mode
 * packets to silence at lower rates. The decimator holds back 16 output samples until more audio or
 * {@link #finish()} arrives.
 *
 * <p>Accepts every Opus frame size (2.5 to 120 ms per packet, single- and multi-frame packets),
 * several packets per page, streams encoded at any input rate (the OpusHead input rate is
 * informational only), stereo streams (mixed to mono by the decoder) and the header output gain.
 * Pre-skip is dropped from the start and the end-of-stream granule trims the tail.
 *
 * <p>Not thread-safe: one reader per stream.
 */
public final class OggOpusReader {
  private static final int MAX_PACKET_SAMPLES_48K = 5760; // 120 ms, the Opus maximum

  private final int outputRate;
  private final PcmConsumer sink;
  private final IntegerDecimator decimator;
  private final OggPacketReader ogg;
  private final short[] decoded;
  private final float[] floats;
  private OpusHead head;
  private OpusTags tags;
  private OpusDecoder decoder;
  private long packets;
  private long skipRemaining;
  private long samplesOut;
  private long samples48;
  private int lastPacketSamples;
  private float[] eosTail = new float[0];
  private int eosTailLength;

  /**
   * @param outputRate 8000, 12000, 16000, 24000 or 48000 Hz
   * @param sink receives decoded mono PCM
   */
  public OggOpusReader(int outputRate, PcmConsumer sink) {
    if (48000 % outputRate != 0 || outputRate < 8000 || outputRate == 9600) {
      throw new IllegalArgumentException(
          "Opus decodes at 8000, 12000, 16000, 24000 or 48000 Hz, not " + outputRate);
    }
    this.outputRate = outputRate;
    this.sink = sink;
    this.decimator = new IntegerDecimator(48000 / outputRate);
    this.ogg = new OggPacketReader();
    this.decoded = new short[MAX_PACKET_SAMPLES_48K];
    this.floats = new float[MAX_PACKET_SAMPLES_48K];
  }

  public void feed(byte[] data) throws AudioFormatException {
    feed(data, 0, data.length);
  }

  public void feed(byte[] data, int offset, int length) throws AudioFormatException {
    ogg.feed(data, offset, length, this::onPacket);
  }

  /** Declares the end of input; fails if the stream was cut short or never started. */
  public void finish() throws AudioFormatException {
    ogg.finish();
    if (head == null) {
      throw new OpusStreamException("the stream ended before its OpusHead header");
    }
    if (tags == null) {
      throw new OpusStreamException("the stream ended before its OpusTags header");
    }
    decimator.finish(this::output);
  }

  /** The identification header, or null before it has arrived. */
  public OpusHead head() {
    return head;
  }

  /** The comment header, or null before it has arrived. */
  public OpusTags tags() {
    return tags;
  }

  /** Mono samples handed to the sink so far, at the output rate. */
  public long samplesOut() {
    return samplesOut;
  }

  /** Audio packets decoded so far. */
  public long audioPackets() {
    return Math.max(0, packets - 2);
  }

  public int outputRate() {
    return outputRate;
  }

  private void onPacket(OggPacket packet) throws AudioFormatException {
    long index = packets++;
    if (index == 0) {
      head = OpusHead.parse(packet.data());
      skipRemaining = head.preSkip();
      try {
        decoder = new OpusDecoder(48000, 1);
      } catch (OpusException e) {
        throw new IllegalStateException("Concentus refused a 48 kHz decoder", e);
      }
      decoder.setGain(head.outputGainQ8());
      return;
    }
    if (index == 1) {
      tags = OpusTags.parse(packet.data());
      return;
    }
    int n = decode(packet.data(), index);
    if (packet.onEndOfStreamPage()) {
      holdForEndTrim(n);
      if (packet.lastOnPage()) {
        emitTrimmedTail(packet.pageGranule());
      }
    } else {
      emit(floats, 0, n);
    }
  }

  private int decode(byte[] data, long index) throws OpusStreamException {
    int samples;
    try {
      if (data.length == 0) {
        // RFC 7845 §5: a zero-length packet stands for a lost one; conceal it.
        samples =
            lastPacketSamples == 0
                ? 0
                : decoder.decode(null, 0, 0, decoded, 0, lastPacketSamples, false);
      } else {
        int samples48 = OpusPacketInfo.getNumSamples(data, 0, data.length, 48000);
        if (samples48 <= 0) {
          throw new OpusStreamException(
              String.format(
                  "invalid Opus packet #%d (%d bytes, TOC byte 0x%02x)",
                  index - 2, data.length, data[0] & 0xFF));
        }
        if (samples48 > MAX_PACKET_SAMPLES_48K) {
          throw new OpusStreamException(
              String.format(
                  "Opus packet #%d lasts %.1f ms, over the 120 ms limit",
                  index - 2, samples48 / 48.0));
        }
        samples = decoder.decode(data, 0, data.length, decoded, 0, decoded.length, false);
      }
    } catch (OpusException | RuntimeException e) {
      throw new OpusStreamException(
          String.format(
              "cannot decode Opus packet #%d (%d bytes): %s",
              index - 2, data.length, e.getMessage()),
          e);
    }
    if (samples > 0) {
      lastPacketSamples = samples;
    }
    for (int i = 0; i < samples; i++) {
      floats[i] = decoded[i] / 32768f;
    }
    return samples;
  }

  /** Drops pre-skip, then decimates to the output rate; all counts here are 48 kHz samples. */
  private void emit(float[] pcm, int offset, int length) {
    int skip = (int) Math.min(skipRemaining, length);
    skipRemaining -= skip;
    if (length > skip) {
      samples48 += length - skip;
      decimator.process(pcm, offset + skip, length - skip, this::output);
    }
  }

  private void output(float[] pcm, int offset, int length) {
    samplesOut += length;
    sink.accept(pcm, offset, length);
  }

  private void holdForEndTrim(int n) {
    if (eosTailLength + n > eosTail.length) {
      eosTail = Arrays.copyOf(eosTail, Math.max(eosTail.length * 2, eosTailLength + n));
    }
    System.arraycopy(floats, 0, eosTail, eosTailLength, n);
    eosTailLength += n;
  }

  // RFC 7845 §4.5: the last page's granule may be smaller than what its packets decode to.
  private void emitTrimmedTail(long granule) {
    long keep = eosTailLength;
    if (granule >= 0) {
      long total = granule - head.preSkip();
      // emit() still drops skipRemaining samples first, so they are kept here and skipped there.
      keep = Math.max(0, Math.min(eosTailLength, total - samples48 + skipRemaining));
    }
    emit(eosTail, 0, (int) keep);
    eosTailLength = 0;
  }
}
