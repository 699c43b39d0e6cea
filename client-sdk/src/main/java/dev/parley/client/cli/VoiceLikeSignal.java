package dev.parley.client.cli;

import dev.parley.codec.audio.ModelAudio;

/**
 * A stand-in for speech when no file is given: a voiced source (120–200 Hz gliding pitch with
 * harmonics falling 6 dB per octave) under a 4 Hz syllable envelope with pauses, so an engine sees
 * audio with speech's rhythm and spectrum rather than silence or a pure tone. Deterministic.
 */
final class VoiceLikeSignal {
  private VoiceLikeSignal() {}

  static float[] generate(int samples) {
    float[] x = new float[samples];
    double phase = 0;
    for (int i = 0; i < samples; i++) {
      double t = ModelAudio.seconds(i);
      double pitch = 160 + 40 * Math.sin(2 * Math.PI * 0.7 * t);
      phase += 2 * Math.PI * pitch / ModelAudio.SAMPLE_RATE;
      double voiced = 0;
      for (int h = 1; h <= 12; h++) {
        voiced += Math.sin(h * phase) / h;
      }
      double syllable = Math.max(0, Math.sin(2 * Math.PI * 4 * t));
      double phrase = (t % 3.0) < 2.2 ? 1 : 0; // a pause every 3 s
      x[i] = (float) (0.12 * voiced * syllable * phrase);
    }
    return x;
  }
}
