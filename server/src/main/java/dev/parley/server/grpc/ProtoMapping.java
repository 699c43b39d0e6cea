package dev.parley.server.grpc;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.format.StreamEncoding;
import dev.parley.codec.format.StreamFormat;
import dev.parley.proto.v1.AudioFormat;
import dev.parley.proto.v1.Encoding;
import dev.parley.server.dialogue.DialogueOptions;
import dev.parley.server.lm.SamplingParams;

/** Between the gRPC API's messages and the engine's and codec's types. */
final class ProtoMapping {
  static final int MODEL_RATE = ModelAudio.SAMPLE_RATE;

  private ProtoMapping() {}

  /** A proto format to a codec one; rate 0 means 24 kHz, channels 0 mean mono. */
  static StreamFormat format(AudioFormat f, String which) {
    StreamEncoding e =
        switch (f.getEncoding()) {
          case PCM_S16LE -> StreamEncoding.PCM_S16LE;
          case PCM_F32LE -> StreamEncoding.PCM_F32LE;
          case OGG_OPUS -> StreamEncoding.OGG_OPUS;
          case OPUS -> StreamEncoding.OPUS;
          case ENCODING_UNSPECIFIED, UNRECOGNIZED ->
              throw new IllegalArgumentException(
                  which + ".encoding must be PCM_S16LE, PCM_F32LE, OGG_OPUS or OPUS");
        };
    int rate = f.getSampleRateHz() == 0 ? MODEL_RATE : f.getSampleRateHz();
    int channels = f.getChannels() == 0 ? 1 : f.getChannels();
    try {
      return new StreamFormat(e, rate, channels);
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException(which + ": " + ex.getMessage());
    }
  }

  static AudioFormat proto(StreamFormat f) {
    return AudioFormat.newBuilder()
        .setEncoding(Encoding.valueOf(f.encoding().name()))
        .setSampleRateHz(f.sampleRate())
        .setChannels(f.channels())
        .build();
  }

  /** Session options: what the client set, the server's defaults for the rest. */
  static DialogueOptions options(
      dev.parley.proto.v1.SamplingParams p,
      SamplingParams textDefault,
      SamplingParams audioDefault,
      long fallbackSeed) {
    SamplingParams text =
        new SamplingParams(
            p.hasTextTemperature()
                ? temperature(p.getTextTemperature(), "text_temperature")
                : textDefault.temperature(),
            p.hasTextTopK() ? topK(p.getTextTopK(), "text_top_k") : textDefault.topK(),
            textDefault.topP());
    SamplingParams audio =
        new SamplingParams(
            p.hasAudioTemperature()
                ? temperature(p.getAudioTemperature(), "audio_temperature")
                : audioDefault.temperature(),
            p.hasAudioTopK() ? topK(p.getAudioTopK(), "audio_top_k") : audioDefault.topK(),
            audioDefault.topP());
    return new DialogueOptions(text, audio, p.hasSeed() ? p.getSeed() : fallbackSeed);
  }

  static dev.parley.proto.v1.SamplingParams proto(DialogueOptions o) {
    return dev.parley.proto.v1.SamplingParams.newBuilder()
        .setTextTemperature((float) o.text().temperature())
        .setTextTopK(o.text().topK())
        .setAudioTemperature((float) o.audio().temperature())
        .setAudioTopK(o.audio().topK())
        .setSeed(o.seed())
        .build();
  }

  private static double temperature(float t, String name) {
    if (!Float.isFinite(t) || t < 0 || t > 100) {
      throw new IllegalArgumentException(
          "sampling." + name + " must be between 0 and 100, got " + t);
    }
    return t;
  }

  private static int topK(int k, String name) {
    if (k < 0) {
      throw new IllegalArgumentException(
          "sampling." + name + " must be 0 (all) or positive, got " + k);
    }
    return k;
  }
}
