package dev.parley.codec.wav;

/**
 * Audio read from a WAV file, mixed down to mono.
 *
 * @param samples mono samples in [-1, 1] (float files may exceed that range; they are not clipped)
 * @param sampleRate samples per second
 * @param channels channels in the file before the downmix
 * @param encoding how the file stored its samples
 */
public record WavAudio(float[] samples, int sampleRate, int channels, WavEncoding encoding) {
  public double durationSeconds() {
    return samples.length / (double) sampleRate;
  }
}
