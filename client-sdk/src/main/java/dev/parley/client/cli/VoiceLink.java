package dev.parley.client.cli;

import dev.parley.codec.audio.ModelAudio;
import java.time.Duration;

/** A chat over either transport, seen as 24 kHz mono audio in and out. */
interface VoiceLink extends AutoCloseable {
  int RATE = ModelAudio.SAMPLE_RATE;

  void send(float[] pcm24k);

  /** Waits until the transport takes more audio without queueing it. */
  boolean awaitReady(Duration timeout) throws InterruptedException;

  /**
   * Ends the input and waits for the reply to finish.
   *
   * @return a one-line summary for the user
   */
  String finish(Duration timeout) throws InterruptedException;

  @Override
  void close();
}
