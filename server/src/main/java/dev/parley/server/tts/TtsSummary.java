package dev.parley.server.tts;

import dev.parley.codec.audio.ModelAudio;

/**
 * How a synthesis went.
 *
 * @param frames 80 ms audio frames sent
 * @param words words spoken
 * @param steps model steps run
 * @param starvedSteps steps that padded because streamed text had run dry
 * @param firstAudioNanos first text received to first audio frame delivered, or -1 if none
 * @param stepsToFirstAudio model steps run before the first audio frame
 * @param computeNanosToFirstAudio wall time of those steps (model and Mimi), summed
 */
public record TtsSummary(
    long frames,
    int words,
    long steps,
    long starvedSteps,
    long firstAudioNanos,
    long stepsToFirstAudio,
    long computeNanosToFirstAudio) {

  public double audioSeconds() {
    return frames / ModelAudio.FRAME_RATE;
  }
}
