package dev.parley.server.inference;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.stt.SttEngine;
import dev.parley.server.stt.SttListener;
import dev.parley.server.stt.SttOptions;
import dev.parley.server.stt.SttSession;
import dev.parley.server.stt.SttSettings;
import dev.parley.server.stt.SttStep;
import dev.parley.server.stt.SttWord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A whole file through a transcription model (Kyutai STT, {@code dep_q} 0) as the reference driver
 * {@code stt_from_file_pytorch.py} does it: {@link SttSettings#prefixFrames} silent frames, the
 * audio in 1920-sample frames (the last padded with silence), {@link SttSettings#delayFrames}
 * silent frames so the last words come out, greedy text, and words with times by {@code
 * tokens_to_timestamped_text} ({@link dev.parley.server.stt.WordAssembler}).
 *
 * <p>It runs on the server's own {@link SttEngine} with one session, so a file gets exactly what a
 * streaming client sending the same audio would get. The audio is fed as fast as the engine steps,
 * with at most {@link #WINDOW} frames waiting, so memory does not grow with the file's length.
 */
public final class OfflineTranscription {
  /** Client frames that may wait for a step at once. */
  static final int WINDOW = 32;

  private OfflineTranscription() {}

  /**
   * What the model made of a file.
   *
   * @param model the model's name
   * @param settings the prefix, delay and time offset used
   * @param audioSeconds length of the (24 kHz) input
   * @param textTokens one text token per model step, the silence prefix and the flush included
   * @param pauseProbabilities per step, class 0 of each extra head (empty rows for a model without)
   * @param words the transcript
   * @param steps model steps taken
   * @param seconds wall time
   */
  public record Result(
      String model,
      SttSettings settings,
      double audioSeconds,
      long[] textTokens,
      List<float[]> pauseProbabilities,
      List<SttWord> words,
      int steps,
      double seconds) {

    /** The words joined by single spaces. */
    public String text() {
      return TranscriptFormats.joined(words);
    }
  }

  /** Transcribes 24 kHz mono audio in [-1, 1] with greedy text (the reference). */
  public static Result run(SpeechModel model, float[] pcm24k) {
    return run(model, pcm24k, SttOptions.defaults());
  }

  public static Result run(SpeechModel model, float[] pcm24k, SttOptions options) {
    if (model.lm().config().depQ() != 0) {
      throw new IllegalArgumentException(
          model.name()
              + " is not a transcription model (dep_q "
              + model.lm().config().depQ()
              + ")");
    }
    long t0 = System.nanoTime();
    try (SttEngine engine = new SttEngine(model, 1, WINDOW + 1)) {
      SttSettings settings = engine.settings();
      Collector c = new Collector(settings.prefixFrames());
      SttSession session;
      try {
        session = engine.open(options, c);
      } catch (EngineFullException e) {
        throw new IllegalStateException(e);
      }
      int frame = ModelAudio.FRAME_SAMPLES;
      try {
        for (int off = 0; off < pcm24k.length && !session.isClosed(); off += frame) {
          c.window.acquire();
          if (!session.offerAudio(pcm24k, off, Math.min(frame, pcm24k.length - off))) {
            break;
          }
        }
        session.endOfInput();
        c.done.await();
      } catch (InterruptedException e) {
        session.close();
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      if (c.failure.get() != null) {
        throw new IllegalStateException("transcription failed: " + c.failure.get());
      }
      long[] tokens = c.tokens.stream().mapToLong(Long::longValue).toArray();
      return new Result(
          model.name(),
          settings,
          ModelAudio.seconds(pcm24k.length),
          tokens,
          List.copyOf(c.pauses),
          c.words.get() == null ? List.of() : c.words.get(),
          tokens.length,
          (System.nanoTime() - t0) / 1e9);
    }
  }

  /** Gathers a session's output on the engine thread and paces the feeder. */
  private static final class Collector implements SttListener {
    final Semaphore window = new Semaphore(WINDOW);
    final CountDownLatch done = new CountDownLatch(1);
    final List<Long> tokens = new ArrayList<>();
    final List<float[]> pauses = new ArrayList<>();
    final AtomicReference<List<SttWord>> words = new AtomicReference<>();
    final AtomicReference<String> failure = new AtomicReference<>();
    private final int prefixFrames;

    Collector(int prefixFrames) {
      this.prefixFrames = prefixFrames;
    }

    @Override
    public void onStep(SttStep step) {
      synchronized (this) {
        tokens.add(step.textToken());
        pauses.add(step.pauseProbabilities());
      }
      if (step.index() >= prefixFrames) {
        window.release(); // a client frame (or a flush frame, which no one waits for) was stepped
      }
    }

    @Override
    public void onWord(int index, String text, double startSeconds) {}

    @Override
    public void onTranscript(List<SttWord> transcript) {
      words.set(List.copyOf(transcript));
    }

    @Override
    public void onClosed(String reason) {
      if (reason != null) {
        failure.set(reason);
      }
      window.release(WINDOW); // a feeder waiting on a closed session goes on and sees it closed
      done.countDown();
    }
  }
}
