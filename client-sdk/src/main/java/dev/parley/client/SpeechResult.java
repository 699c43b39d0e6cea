package dev.parley.client;

import dev.parley.client.audio.PcmDecoder;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.proto.v1.AudioFormat;
import dev.parley.proto.v1.SynthesisEnd;
import dev.parley.proto.v1.SynthesisReady;
import dev.parley.proto.v1.WordTiming;
import java.util.List;

/**
 * A whole synthesis, as {@link Synthesis#collect()} gathers it.
 *
 * @param ready the server's first message (model, voices)
 * @param format the format of {@code audio}
 * @param audio every audio byte, in order
 * @param words the word timings, in order
 * @param end the server's summary
 */
public record SpeechResult(
    SynthesisReady ready,
    AudioFormat format,
    byte[] audio,
    List<WordTiming> words,
    SynthesisEnd end) {
  public SpeechResult {
    words = List.copyOf(words);
  }

  /** The audio as mono samples in [-1, 1] at the format's rate (PCM formats only). */
  public float[] samples() {
    return new PcmDecoder(format).decode(audio);
  }

  /** Seconds of audio the model produced: 80 ms per frame. */
  public double durationSeconds() {
    return end.getFrames() / ModelAudio.FRAME_RATE;
  }
}
