package dev.parley.codec.opus;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.audio.Pcm;
import dev.parley.codec.ogg.OggPageWriter;
import io.github.jaredmdobson.concentus.OpusApplication;
import io.github.jaredmdobson.concentus.OpusEncoder;
import io.github.jaredmdobson.concentus.OpusException;
import io.github.jaredmdobson.concentus.OpusSignal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Encodes mono float PCM into a live Ogg Opus stream (RFC 7845), handing out each page the moment
 * it is complete. The first pages out are OpusHead and OpusTags, each on its own page.
 *
 * <p>Audio goes into fixed-size Opus packets (Concentus encodes up to 60 ms; 20 or 40 ms suit
 * speech) and a page is closed as soon as it holds {@code pageMillis} of audio, so a listener never
 * waits longer than that for bytes. Granule positions count 48 kHz samples, pre-skip is the
 * encoder's real look-ahead, and {@link #close()} pads the tail and trims it back with the final
 * granule so a decoder returns exactly the samples that went in.
 *
 * <p>Not thread-safe: one writer per stream.
 */
public final class OggOpusWriter implements AutoCloseable {

  /**
   * Encoder settings.
   *
   * @param sampleRate input rate: 8000, 12000, 16000, 24000 or 48000 Hz
   * @param packetMillis Opus packet duration: 10, 20, 40 or 60 ms
   * @param pageMillis a page is closed once it holds at least this much audio
   * @param bitrate target bits per second
   * @param complexity encoder complexity 0 (fastest) to 10 (best)
   * @param application the libopus application mode
   */
  public record Options(
      int sampleRate,
      int packetMillis,
      int pageMillis,
      int bitrate,
      int complexity,
      OpusApplication application) {

    public Options {
      if (sampleRate != 8000
          && sampleRate != 12000
          && sampleRate != 16000
          && sampleRate != 24000
          && sampleRate != 48000) {
        throw new IllegalArgumentException(
            "Opus cannot encode at " + sampleRate + " Hz; use 8000, 12000, 16000, 24000 or 48000");
      }
      if (packetMillis != 10 && packetMillis != 20 && packetMillis != 40 && packetMillis != 60) {
        throw new IllegalArgumentException(
            "packet duration must be 10, 20, 40 or 60 ms, got " + packetMillis);
      }
      if (pageMillis < packetMillis) {
        throw new IllegalArgumentException(
            "page duration "
                + pageMillis
                + " ms is shorter than a packet ("
                + packetMillis
                + " ms)");
      }
      if (complexity < 0 || complexity > 10) {
        throw new IllegalArgumentException("complexity must be 0..10, got " + complexity);
      }
    }

    /** Mimi's rate, 20 ms packets, one page per 80 ms Mimi frame, 32 kb/s speech. */
    public static Options speech24k() {
      return new Options(
          ModelAudio.SAMPLE_RATE, 20, 80, 32000, 5, OpusApplication.OPUS_APPLICATION_VOIP);
    }

    public Options withPacketMillis(int ms) {
      return new Options(
          sampleRate, ms, Math.max(ms, pageMillis), bitrate, complexity, application);
    }

    public Options withPageMillis(int ms) {
      return new Options(sampleRate, packetMillis, ms, bitrate, complexity, application);
    }

    public Options withBitrate(int bps) {
      return new Options(sampleRate, packetMillis, pageMillis, bps, complexity, application);
    }

    public Options withComplexity(int c) {
      return new Options(sampleRate, packetMillis, pageMillis, bitrate, c, application);
    }

    public Options withSampleRate(int hz) {
      return new Options(hz, packetMillis, pageMillis, bitrate, complexity, application);
    }
  }

  private static final int MAX_PACKET_BYTES =
      4000; // > 3 × 1275, the most one 60 ms packet can need

  private final Options options;
  private final Consumer<byte[]> pages;
  private final OpusEncoder encoder;
  private final OggPageWriter ogg;
  private final int frameSamples;
  private final int to48k;
  private final int lookahead;
  private final short[] frame;
  private final byte[] packetBuffer = new byte[MAX_PACKET_BYTES];
  private final List<byte[]> pagePackets = new ArrayList<>();
  private final List<Long> pageGranules = new ArrayList<>();
  private int filled;
  private long inputSamples;
  private long encodedSamples;
  private boolean headersWritten;
  private boolean closed;

  public OggOpusWriter(Options options, Consumer<byte[]> pages) {
    this(options, ThreadLocalRandom.current().nextInt(), pages);
  }

  /**
   * @param serial the Ogg stream serial number
   * @param pages receives every page as its own array, in order
   */
  public OggOpusWriter(Options options, int serial, Consumer<byte[]> pages) {
    this.options = options;
    this.pages = pages;
    try {
      this.encoder = new OpusEncoder(options.sampleRate(), 1, options.application());
    } catch (OpusException e) {
      throw new IllegalStateException("Concentus refused the encoder settings " + options, e);
    }
    encoder.setBitrate(options.bitrate());
    encoder.setComplexity(options.complexity());
    encoder.setSignalType(OpusSignal.OPUS_SIGNAL_VOICE);
    this.ogg = new OggPageWriter(serial);
    this.frameSamples = options.sampleRate() * options.packetMillis() / 1000;
    this.to48k = 48000 / options.sampleRate();
    this.lookahead = encoder.getLookahead();
    this.frame = new short[frameSamples];
  }

  public Options options() {
    return options;
  }

  /** Pre-skip written in OpusHead: the encoder look-ahead, in 48 kHz samples. */
  public int preSkip() {
    return lookahead * to48k;
  }

  /** Samples accepted so far, at the input rate. */
  public long samplesWritten() {
    return inputSamples;
  }

  public void write(float[] samples) {
    write(samples, 0, samples.length);
  }

  /** Encodes {@code length} samples; every page this completes goes to the page consumer. */
  public void write(float[] samples, int offset, int length) {
    ensureOpen();
    writeHeadersOnce();
    for (int i = 0; i < length; i++) {
      frame[filled++] = Pcm.floatToS16(samples[offset + i]);
      if (filled == frameSamples) {
        encodeFrame(true);
      }
    }
    inputSamples += length;
  }

  /**
   * Closes a page now with the packets encoded so far, if any. Samples that do not yet fill a
   * packet stay buffered: Opus cannot encode a partial packet without padding it.
   */
  public void flush() {
    ensureOpen();
    writeHeadersOnce();
    if (!pagePackets.isEmpty()) {
      writePage(false);
    }
  }

  /**
   * Ends the stream: encodes the buffered tail padded with silence, enough extra packets to push
   * the encoder's look-ahead out, and an end-of-stream page whose granule trims the padding.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    writeHeadersOnce();
    long needed = inputSamples + lookahead;
    while (encodedSamples < needed) {
      while (filled < frameSamples) {
        frame[filled++] = 0;
      }
      encodeFrame(false); // the tail all goes on the final page
    }
    // End trimming (RFC 7845 §4.5): the last granule counts only real samples plus pre-skip.
    pageGranules.set(pageGranules.size() - 1, (lookahead + inputSamples) * to48k);
    writePage(true);
    closed = true;
  }

  private void encodeFrame(boolean mayClosePage) {
    int bytes;
    try {
      bytes = encoder.encode(frame, 0, frameSamples, packetBuffer, 0, packetBuffer.length);
    } catch (OpusException e) {
      throw new IllegalStateException(
          "Opus encoder failed on a " + frameSamples + "-sample frame", e);
    }
    filled = 0;
    encodedSamples += frameSamples;
    byte[] packet = new byte[bytes];
    System.arraycopy(packetBuffer, 0, packet, 0, bytes);
    pagePackets.add(packet);
    pageGranules.add(encodedSamples * to48k);
    if (mayClosePage && pagePackets.size() * options.packetMillis() >= options.pageMillis()) {
      writePage(false);
    }
  }

  private void writePage(boolean endOfStream) {
    long[] granules = new long[pageGranules.size()];
    for (int i = 0; i < granules.length; i++) {
      granules[i] = pageGranules.get(i);
    }
    List<byte[]> out = ogg.writePackets(pagePackets, granules, endOfStream);
    pagePackets.clear();
    pageGranules.clear();
    out.forEach(pages);
  }

  private void writeHeadersOnce() {
    if (headersWritten) {
      return;
    }
    headersWritten = true;
    OpusHead head = new OpusHead(1, preSkip(), options.sampleRate(), 0, 0);
    OpusTags tags = new OpusTags("Parley (Concentus)", List.of("ENCODER=Parley"));
    ogg.writePackets(List.of(head.toBytes()), new long[] {0}, false).forEach(pages);
    ogg.writePackets(List.of(tags.toBytes()), new long[] {0}, false).forEach(pages);
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the Ogg Opus stream is closed");
    }
  }
}
