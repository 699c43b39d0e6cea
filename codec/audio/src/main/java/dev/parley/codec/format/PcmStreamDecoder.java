package dev.parley.codec.format;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.audio.PcmConsumer;
import dev.parley.codec.resample.StreamingResampler;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * PCM bytes at any rate, mono or interleaved stereo, to mono float at the target rate. Chunks may
 * split a sample anywhere: the incomplete tail waits for the next chunk. NaN or infinite floats are
 * refused: a model fed them produces garbage for every later frame of the session.
 */
final class PcmStreamDecoder implements AudioStreamDecoder {
  private final StreamFormat format;
  private final PcmConsumer sink;
  private final StreamingResampler resampler;
  private final int frameBytes;
  private final byte[] partial;
  private int partialLength;
  private long samples;

  PcmStreamDecoder(StreamFormat format, int targetRate, PcmConsumer sink) {
    this.format = format;
    this.sink = sink;
    this.resampler = new StreamingResampler(format.sampleRate(), targetRate);
    this.frameBytes = (format.encoding() == StreamEncoding.PCM_S16LE ? 2 : 4) * format.channels();
    this.partial = new byte[frameBytes];
  }

  @Override
  public void feed(byte[] chunk) throws AudioFormatException {
    int whole = (partialLength + chunk.length) / frameBytes;
    float[] mono = new float[whole];
    ByteBuffer in = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
    int i = 0;
    if (partialLength > 0 && whole > 0) { // complete the sample frame the previous chunk split
      in.get(partial, partialLength, frameBytes - partialLength);
      partialLength = 0;
      mono[i++] = readFrame(ByteBuffer.wrap(partial).order(ByteOrder.LITTLE_ENDIAN));
    }
    while (i < whole) {
      mono[i++] = readFrame(in);
    }
    int rest = in.remaining();
    in.get(partial, partialLength, rest);
    partialLength += rest;
    float[] out = resampler.process(mono);
    if (out.length > 0) {
      sink.accept(out, 0, out.length);
    }
  }

  private float readFrame(ByteBuffer b) throws AudioFormatException {
    float sum = 0;
    for (int c = 0; c < format.channels(); c++) {
      float v =
          format.encoding() == StreamEncoding.PCM_S16LE ? b.getShort() / 32768f : b.getFloat();
      if (!Float.isFinite(v)) {
        throw new AudioFormatException(
            "PCM_F32LE sample " + samples + " is " + v + ": samples must be finite");
      }
      sum += v;
    }
    samples++;
    return sum / format.channels();
  }

  @Override
  public void finish() throws AudioFormatException {
    if (partialLength != 0) {
      throw new AudioFormatException(
          String.format(
              "the %s stream ended inside a sample frame (%d of %d bytes)",
              format.encoding(), partialLength, frameBytes));
    }
    float[] tail = resampler.finish();
    if (tail.length > 0) {
      sink.accept(tail, 0, tail.length);
    }
  }
}
