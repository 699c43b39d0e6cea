package dev.parley.server.dialogue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.server.dialogue.DialogueEngineTest.Recorder;
import dev.parley.server.engine.EngineObserver;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.persona.PersonaPlexTiny;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PersonaPlex prompts as per-session prefills in the batched dialogue engine (tiny model). */
class PromptedDialogueTest {
  static final int FRAMES = 12;
  @TempDir static Path dir;
  static SpeechModel model;
  static float[] voice;
  static float[] user;

  @BeforeAll
  static void load() throws Exception {
    model = PersonaPlexTiny.load(dir);
    voice = PersonaPlexTiny.voice();
    user = PersonaPlexTiny.userAudio(FRAMES);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  /** Records frames and when the prompt was done. */
  static final class PromptRecorder implements DialogueListener {
    final Recorder frames = new Recorder();
    final CompletableFuture<Integer> promptDone = new CompletableFuture<>();

    @Override
    public void onFrame(OutputFrame frame) {
      frames.onFrame(frame);
    }

    @Override
    public void onPromptDone() {
      // How many frames had come out before: none may, the conversation starts after it.
      promptDone.complete(frames.frames.size());
    }

    @Override
    public void onClosed(String reason) {
      frames.onClosed(reason);
    }
  }

  static DialogueOptions options(DialoguePrompt prompt) {
    return DialogueOptions.greedy().withPrompt(prompt);
  }

  /** Frames out per user frame: all of them after a prompt, all but the delay's without. */
  static int expectedFrames(DialoguePrompt p) {
    return p == null ? FRAMES - 2 : FRAMES;
  }

  static List<long[]> tokens(List<OutputFrame> frames) {
    List<long[]> out = new ArrayList<>();
    for (OutputFrame f : frames) {
      long[] t = new long[1 + f.audioCodes().length];
      t[0] = f.textToken();
      System.arraycopy(f.audioCodes(), 0, t, 1, f.audioCodes().length);
      out.add(t);
    }
    return out;
  }

  static long[] flat(List<long[]> frames) {
    return frames.stream().flatMapToLong(java.util.Arrays::stream).toArray();
  }

  static List<long[]> alone(DialoguePrompt p) throws Exception {
    try (DialogueEngine engine = new DialogueEngine(model, 1, 64, EngineObserver.NONE)) {
      PromptRecorder r = new PromptRecorder();
      DialogueSession s = engine.open(options(p), r);
      s.offerAudio(user, 0, user.length);
      r.frames.await(expectedFrames(p));
      return tokens(r.frames.frames);
    }
  }

  /**
   * Each session's output tokens, all in one engine, the audio offered in two pieces so that the
   * unprompted sessions run while the others prefill; a prompted session's prompt is done before
   * its first frame, an unprompted one has none.
   */
  static List<List<long[]>> together(
      DialogueEngine engine, DialogueOptions[] options, float[] user, int[] frames)
      throws Exception {
    int n = options.length;
    PromptRecorder[] r = new PromptRecorder[n];
    DialogueSession[] s = new DialogueSession[n];
    for (int i = 0; i < n; i++) {
      r[i] = new PromptRecorder();
      s[i] = engine.open(options[i], r[i]);
      s[i].offerAudio(user, 0, 1920 * 3);
    }
    for (int i = 0; i < n; i++) {
      s[i].offerAudio(user, 1920 * 3, user.length - 1920 * 3);
    }
    List<List<long[]>> together = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      r[i].frames.await(frames[i]);
      if (options[i].prompt() != null) {
        assertThat(r[i].promptDone.get(30, TimeUnit.SECONDS)).as("frames before").isZero();
      } else {
        assertThat(r[i].promptDone).isNotDone();
      }
      together.add(tokens(r[i].frames.frames));
    }
    return together;
  }

  @Test
  void promptedAndUnpromptedSessionsInOneEngineGetWhatTheyGetAlone() throws Exception {
    DialoguePrompt[] prompts = {
      new DialoguePrompt("You are a calm robot.", voice, "golden"),
      DialoguePrompt.text("<system> You talk about the weather. <system>"),
      null,
      new DialoguePrompt(null, voice, "golden")
    };
    List<List<long[]>> together;
    try (DialogueEngine engine = new DialogueEngine(model, 4, 64, EngineObserver.NONE)) {
      assertThat(engine.acceptsPrompts()).isTrue();
      DialogueOptions[] o = new DialogueOptions[prompts.length];
      int[] frames = new int[prompts.length];
      for (int i = 0; i < prompts.length; i++) {
        o[i] = options(prompts[i]);
        frames[i] = expectedFrames(prompts[i]);
      }
      together = together(engine, o, user, frames);
    }
    for (int i = 0; i < prompts.length; i++) {
      List<long[]> solo = alone(prompts[i]);
      assertThat(together.get(i)).as("session %d", i).hasSameSizeAs(solo);
      for (int j = 0; j < solo.size(); j++) {
        assertThat(together.get(i).get(j)).as("session %d frame %d", i, j).isEqualTo(solo.get(j));
      }
    }
    // The conversation opens on the prompt's last silence frame (still forced one column ahead).
    long[] silence = model.personaPlex().orElseThrow().silenceTokens();
    for (int i : new int[] {0, 1, 3}) {
      assertThat(java.util.Arrays.copyOfRange(together.get(i).get(0), 1, 9)).isEqualTo(silence);
    }
    // A prompt changes what the model says and how it sounds. (Between different prompts, which
    // all end with the same silence, this tiny random model's greedy tokens came out the same;
    // PersonaPlexGoldenTest shows each prompt step is fed as the reference feeds it.)
    assertThat(flat(together.get(1).subList(2, FRAMES)))
        .isNotEqualTo(flat(together.get(2).subList(0, FRAMES - 2)));
    assertThat(flat(together.get(0).subList(2, FRAMES)))
        .isNotEqualTo(flat(together.get(2).subList(0, FRAMES - 2)));
  }

  /**
   * The engine keeps live sessions in the low slots: a prompted session in slot 1 moves to slot 0
   * when the session below it closes, mid-prefill or mid-conversation, with its whole state (prompt
   * position, token cache, provided mask, KV caches, codec), and still gets what it gets alone. The
   * close is made from the engine thread at a chosen step, so the move happens exactly there.
   */
  @Test
  void aPromptedSessionThatMovesDownMidPrefillOrMidConversationGetsWhatItGetsAlone()
      throws Exception {
    DialoguePrompt prompt = new DialoguePrompt("You are a calm robot.", voice, "golden");
    assertMovesKeepOutput(model, options(prompt), user, FRAMES, alone(prompt));
  }

  /**
   * A prompted session ({@code options}) in slot 1 that moves to slot 0 at the third step of its
   * prefill, or of its conversation, gets {@code solo} ({@code frames} frames for {@code user}).
   */
  static void assertMovesKeepOutput(
      SpeechModel model, DialogueOptions options, float[] user, int frames, List<long[]> solo)
      throws Exception {
    for (boolean midPrefill : new boolean[] {true, false}) {
      PromptRecorder r = new PromptRecorder();
      DialogueSession[] below = new DialogueSession[1];
      java.util.concurrent.atomic.AtomicInteger steps =
          new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.atomic.AtomicInteger movedAtFrame =
          new java.util.concurrent.atomic.AtomicInteger(-1);
      EngineObserver closeBelowAtStep3 =
          new EngineObserver() {
            @Override
            public void stepTimed(int batch, long encode, long lm, long decode, long total) {
              // Count the prefill's steps, or the conversation's once the prompt is done.
              if ((midPrefill || r.promptDone.isDone()) && steps.incrementAndGet() == 3) {
                movedAtFrame.set(r.frames.frames.size());
                below[0].close();
              }
            }
          };
      try (DialogueEngine engine = new DialogueEngine(model, 3, 64, closeBelowAtStep3)) {
        below[0] = engine.open(DialogueOptions.greedy(), new Recorder()); // slot 0, never steps
        DialogueSession s = engine.open(options, r); // slot 1
        s.offerAudio(user, 0, user.length);
        r.frames.await(frames);
        assertThat(movedAtFrame.get()).as("frames out when it moved").isGreaterThanOrEqualTo(0);
        if (midPrefill) {
          assertThat(movedAtFrame.get()).isZero();
        } else {
          assertThat(movedAtFrame.get()).isBetween(1, frames - 1);
        }
        List<long[]> moved = tokens(r.frames.frames);
        assertThat(moved).as("mid-prefill %s", midPrefill).hasSameSizeAs(solo);
        for (int j = 0; j < solo.size(); j++) {
          assertThat(moved.get(j))
              .as("mid-prefill %s, frame %d", midPrefill, j)
              .isEqualTo(solo.get(j));
        }
      }
    }
  }
}
