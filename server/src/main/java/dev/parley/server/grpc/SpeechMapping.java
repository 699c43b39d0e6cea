package dev.parley.server.grpc;

import dev.parley.codec.format.StreamFormat;
import dev.parley.proto.v1.SynthesisEnd;
import dev.parley.proto.v1.SynthesisReady;
import dev.parley.proto.v1.SynthesizeRequest;
import dev.parley.proto.v1.SynthesizeResponse;
import dev.parley.proto.v1.WordTiming;
import dev.parley.server.tts.TtsConfig;
import dev.parley.server.tts.TtsOptions;
import dev.parley.server.tts.TtsSummary;
import dev.parley.server.tts.TtsWord;
import java.util.List;

/**
 * Between the Speech service's messages and the TTS engine's types; checks what the engine does
 * not.
 */
final class SpeechMapping {
  private SpeechMapping() {}

  /** Synthesize's script: {@code text} as one turn, or {@code turns}; exactly one must be set. */
  static List<String> script(SynthesizeRequest r) {
    boolean text = !r.getText().isEmpty();
    boolean turns = r.getTurnsCount() > 0;
    if (text && turns) {
      throw new IllegalArgumentException("set text or turns, not both");
    }
    if (!text && !turns) {
      throw new IllegalArgumentException("no text to speak: set text (or turns for a dialogue)");
    }
    return text ? List.of(r.getText()) : r.getTurnsList();
  }

  /** Voices and sampling; bad values the engine would only name vaguely are refused here. */
  static TtsOptions options(SynthesizeRequest r, TtsConfig model) {
    if (!r.getVoice().isEmpty() && r.getVoicesCount() > 0) {
      throw new IllegalArgumentException("set voice or voices, not both");
    }
    List<String> voices =
        r.getVoicesCount() > 0
            ? r.getVoicesList()
            : r.getVoice().isEmpty() ? List.of() : List.of(r.getVoice());
    if (voices.stream().anyMatch(String::isBlank)) {
      throw new IllegalArgumentException("voices must not contain an empty name");
    }
    if (model.multiSpeaker() && voices.size() > model.maxSpeakers()) {
      throw new IllegalArgumentException(
          voices.size()
              + " voices given, the model takes at most "
              + model.maxSpeakers()
              + " speakers");
    }
    if (r.hasCfgCoef() && !Float.isFinite(r.getCfgCoef())) {
      throw new IllegalArgumentException("cfg_coef must be a number, got " + r.getCfgCoef());
    }
    return new TtsOptions(
        voices,
        null,
        r.hasTemperature() ? r.getTemperature() : null,
        r.hasSeed() ? r.getSeed() : null,
        r.hasCfgCoef() ? (double) r.getCfgCoef() : null);
  }

  /** The requested output format; unset: 24 kHz mono PCM_S16LE. */
  static StreamFormat outputFormat(SynthesizeRequest r) {
    return r.hasOutputFormat()
        ? ProtoMapping.format(r.getOutputFormat(), "output_format")
        : StreamFormat.pcm24k();
  }

  static SynthesizeResponse ready(String model, List<String> voices) {
    return SynthesizeResponse.newBuilder()
        .setReady(
            SynthesisReady.newBuilder()
                .setModel(model)
                .addAllVoices(voices)
                .setModelSampleRateHz(ProtoMapping.MODEL_RATE))
        .build();
  }

  static SynthesizeResponse word(TtsWord w) {
    return SynthesizeResponse.newBuilder()
        .setWord(
            WordTiming.newBuilder()
                .setIndex(w.index())
                .setText(w.text())
                .setStartS(w.startSeconds())
                .setEndS(w.endSeconds()))
        .build();
  }

  static SynthesizeResponse end(TtsSummary s) {
    return SynthesizeResponse.newBuilder()
        .setEnd(
            SynthesisEnd.newBuilder()
                .setFrames(s.frames())
                .setWords(s.words())
                .setSteps(s.steps())
                .setStarvedSteps(s.starvedSteps())
                .setFirstAudioMs(s.firstAudioNanos() < 0 ? 0 : s.firstAudioNanos() / 1e6))
        .build();
  }
}
