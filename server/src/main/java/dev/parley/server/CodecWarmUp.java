package dev.parley.server;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.opus.OggOpusReader;
import dev.parley.codec.opus.OggOpusWriter;
import java.util.SplittableRandom;

/**
 * Runs the Ogg Opus encoder and decoder over synthetic speech-like audio before the server takes
 * sessions, so the JIT has compiled them first. Without it the C2 compiler spends the first tens of
 * seconds of serving on Concentus and takes a core from the engine: on 2 cores that was the
 * difference between no deadline misses and hundreds at 16 sessions.
 */
final class CodecWarmUp {
  private CodecWarmUp() {}

  /** Encodes and decodes {@code seconds} of audio; returns the samples decoded. */
  static long run(double seconds) throws AudioFormatException {
    float[] pcm = speechLike((int) (seconds * ModelAudio.SAMPLE_RATE), 7);
    long[] decoded = {0};
    OggOpusReader reader =
        new OggOpusReader(ModelAudio.SAMPLE_RATE, (p, off, len) -> decoded[0] += len);
    java.util.List<byte[]> pages = new java.util.ArrayList<>();
    try (OggOpusWriter writer = new OggOpusWriter(OggOpusWriter.Options.speech24k(), pages::add)) {
      for (int i = 0; i < pcm.length; i += ModelAudio.FRAME_SAMPLES) {
        writer.write(pcm, i, Math.min(ModelAudio.FRAME_SAMPLES, pcm.length - i));
      }
    }
    for (byte[] page : pages) {
      reader.feed(page);
    }
    reader.finish();
    return decoded[0];
  }

  /**
   * Voiced stretches with a gliding pitch, unvoiced noise bursts and pauses: every Opus mode runs.
   */
  static float[] speechLike(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] out = new float[n];
    double phase = 0;
    for (int i = 0; i < n; i++) {
      double t = ModelAudio.seconds(i);
      int segment = (int) (t * 4) % 5; // 250 ms segments: voiced, voiced, noise, voiced, pause
      double f0 = 110 + 60 * Math.sin(2 * Math.PI * 0.7 * t);
      phase += 2 * Math.PI * f0 / ModelAudio.SAMPLE_RATE;
      double v = 0;
      if (segment == 0 || segment == 1 || segment == 3) {
        for (int h = 1; h <= 12; h++) {
          v += Math.sin(h * phase) / h;
        }
        v *= 0.25 * (0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t));
      } else if (segment == 2) {
        v = 0.1 * (random.nextDouble() * 2 - 1);
      }
      out[i] = (float) v;
    }
    return out;
  }
}
