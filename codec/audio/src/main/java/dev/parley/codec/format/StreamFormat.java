package dev.parley.codec.format;

import dev.parley.codec.audio.ModelAudio;

/**
 * The format of an audio stream in one direction: encoding, sample rate and channels. Opus streams
 * run at one of Opus's rates; PCM at any rate from 8 to 192 kHz.
 */
public record StreamFormat(StreamEncoding encoding, int sampleRate, int channels) {
  public static final int MIN_PCM_RATE = 8000;
  public static final int MAX_PCM_RATE = 192000;

  public StreamFormat {
    if (encoding == null) {
      throw new IllegalArgumentException("the audio encoding is not set");
    }
    if (channels != 1 && channels != 2) {
      throw new IllegalArgumentException("audio must have 1 or 2 channels, not " + channels);
    }
    if (encoding.isPcm() && (sampleRate < MIN_PCM_RATE || sampleRate > MAX_PCM_RATE)) {
      throw new IllegalArgumentException(
          "PCM sample rate must be "
              + MIN_PCM_RATE
              + " to "
              + MAX_PCM_RATE
              + " Hz, not "
              + sampleRate);
    }
    if (!encoding.isPcm() && !isOpusRate(sampleRate)) {
      throw new IllegalArgumentException(
          encoding + " runs at 8000, 12000, 16000, 24000 or 48000 Hz, not " + sampleRate);
    }
  }

  /** Mono PCM at 24 kHz, Mimi's own format. */
  public static StreamFormat pcm24k() {
    return new StreamFormat(StreamEncoding.PCM_S16LE, ModelAudio.SAMPLE_RATE, 1);
  }

  static boolean isOpusRate(int hz) {
    return hz == 8000 || hz == 12000 || hz == 16000 || hz == 24000 || hz == 48000;
  }
}
