package dev.parley.client.cli;

/** Where a chat's replies go: the model's voice as 24 kHz mono floats, and its text pieces. */
interface VoiceSink {
  void onAudio(float[] pcm24k);

  void onText(String piece);
}
