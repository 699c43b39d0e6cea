package dev.parley.codec.bench;

/**
 * A speech-like test signal: a gliding harmonic voice with a syllable-rate envelope, plus breath
 * noise.
 */
final class BenchSignals {
  private BenchSignals() {}

  static float[] voice(int rate, int samples) {
    float[] x = new float[samples];
    java.util.Random r = new java.util.Random(1);
    double phase = 0;
    for (int i = 0; i < samples; i++) {
      double t = i / (double) rate;
      double f0 = 120 + 40 * Math.sin(2 * Math.PI * 0.7 * t);
      phase += 2 * Math.PI * f0 / rate;
      double v = 0;
      for (int h = 1; h <= 12; h++) {
        v += Math.sin(h * phase) / h;
      }
      double envelope = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
      x[i] = (float) (0.2 * envelope * v + 0.01 * (2 * r.nextDouble() - 1));
    }
    return x;
  }
}
