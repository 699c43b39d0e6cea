package dev.parley.server.openai;

/** The {@code response_format}s of {@code /v1/audio/speech} that Parley can produce. */
enum SpeechFormat {
  /** 16-bit 24 kHz mono WAV whose sizes say "until the end" (0xFFFFFFFF): it streams. */
  WAV("wav", "audio/wav"),
  /** Raw 16-bit little-endian 24 kHz mono samples. */
  PCM("pcm", "audio/pcm"),
  /** Ogg Opus, pages as they fill. */
  OPUS("opus", "audio/opus");

  static final String NAMES = "wav, pcm, opus";

  final String name;
  final String contentType;

  SpeechFormat(String name, String contentType) {
    this.name = name;
    this.contentType = contentType;
  }

  static SpeechFormat of(String name) {
    for (SpeechFormat f : values()) {
      if (f.name.equals(name)) {
        return f;
      }
    }
    return null;
  }
}
