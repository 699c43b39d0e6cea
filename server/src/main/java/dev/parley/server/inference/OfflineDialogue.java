package dev.parley.server.inference;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.server.dialogue.DialogueEngine;
import dev.parley.server.dialogue.DialogueListener;
import dev.parley.server.dialogue.DialogueOptions;
import dev.parley.server.dialogue.DialogueSession;
import dev.parley.server.dialogue.OutputFrame;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.engine.EngineObserver;
import dev.parley.server.engine.MeteredFeed;
import dev.parley.server.model.SpeechModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A whole file through the dialogue engine as one served session: its prompt prefill (PersonaPlex)
 * first, then one step per 80 ms input frame, as fast as the engine steps — a lone session never
 * waits for the gather window. Used where the server's session is the reference: PersonaPlex models
 * (whose prompts and user streams only the engine's step feeds) and prompted runs.
 */
public final class OfflineDialogue {
  /** Frame queue of the offline session; the feed keeps a few below it. */
  private static final int QUEUED_FRAMES = 16;

  private OfflineDialogue() {}

  /** A one-slot engine for {@link #run}; the caller closes it. */
  public static DialogueEngine engine(SpeechModel model) {
    return new DialogueEngine(model, 1, QUEUED_FRAMES, EngineObserver.NONE);
  }

  /**
   * Runs {@code pcm24k} (a trailing partial frame is dropped, as {@link OfflineInference} does)
   * through one session of {@code engine} with {@code options}, prompt included. The result's steps
   * are the input frames stepped; a prompt's steps come before them.
   *
   * @throws IllegalStateException when the engine ended the session with an error
   */
  public static OfflineInference.Result run(
      DialogueEngine engine, DialogueOptions options, float[] pcm24k) throws InterruptedException {
    int frames = pcm24k.length / ModelAudio.FRAME_SAMPLES;
    if (frames == 0) {
      return new OfflineInference.Result(new float[0], "", List.of(), 0);
    }
    Collector c = new Collector(pcm24k, frames);
    DialogueSession session;
    try {
      session = engine.open(options, c);
    } catch (EngineFullException e) {
      throw new IllegalStateException("the offline engine's session slot is taken", e);
    }
    try {
      c.start(session);
      c.done.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } finally {
      session.close();
    }
    return c.result();
  }

  /**
   * Feeds the file a few frames ahead of the engine and keeps what comes out; its events arrive on
   * the engine thread.
   */
  private static final class Collector implements DialogueListener {
    private final float[] pcm;
    private final int frames;
    private final int ahead = MeteredFeed.room(QUEUED_FRAMES);
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final StringBuilder text = new StringBuilder();
    private final List<Long> tokens = new ArrayList<>();
    private float[] audio = new float[0];
    private int audioLength;
    private DialogueSession session;
    private int fed;

    Collector(float[] pcm, int frames) {
      this.pcm = pcm;
      this.frames = frames;
    }

    synchronized void start(DialogueSession s) {
      session = s;
      feedUpTo(ahead);
    }

    private void feedUpTo(long target) {
      while (fed < frames && fed < target) {
        session.offerAudio(pcm, fed * ModelAudio.FRAME_SAMPLES, ModelAudio.FRAME_SAMPLES);
        fed++;
      }
    }

    @Override
    public synchronized void onFrame(OutputFrame frame) {
      text.append(frame.text());
      tokens.add(frame.textToken());
      float[] p = frame.pcm();
      if (audioLength + p.length > audio.length) {
        audio = Arrays.copyOf(audio, Math.max(2 * audio.length, audioLength + p.length));
      }
      System.arraycopy(p, 0, audio, audioLength, p.length);
      audioLength += p.length;
    }

    @Override
    public synchronized void onInputConsumed(long consumed) {
      if (consumed >= frames) {
        done.complete(null);
      } else {
        feedUpTo(consumed + ahead);
      }
    }

    @Override
    public void onClosed(String reason) {
      done.completeExceptionally(
          new IllegalStateException(
              reason != null ? reason : "the session ended before its input was consumed"));
    }

    synchronized OfflineInference.Result result() {
      return new OfflineInference.Result(
          Arrays.copyOf(audio, audioLength), text.toString(), List.copyOf(tokens), frames);
    }
  }
}
