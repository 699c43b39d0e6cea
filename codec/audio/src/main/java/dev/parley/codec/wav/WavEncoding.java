package dev.parley.codec.wav;

/** Sample encodings Parley reads and writes in WAV files. */
public enum WavEncoding {
  PCM_U8(1, 8),
  PCM_S16(1, 16),
  PCM_S24(1, 24),
  PCM_S32(1, 32),
  FLOAT32(3, 32),
  FLOAT64(3, 64);

  /** WAVE_FORMAT_PCM (1) or WAVE_FORMAT_IEEE_FLOAT (3). */
  final int formatTag;

  final int bitsPerSample;

  WavEncoding(int formatTag, int bitsPerSample) {
    this.formatTag = formatTag;
    this.bitsPerSample = bitsPerSample;
  }

  public int bytesPerSample() {
    return bitsPerSample / 8;
  }

  static WavEncoding of(int formatTag, int bits) {
    for (WavEncoding e : values()) {
      if (e.formatTag == formatTag && e.bitsPerSample == bits) {
        return e;
      }
    }
    return null;
  }
}
