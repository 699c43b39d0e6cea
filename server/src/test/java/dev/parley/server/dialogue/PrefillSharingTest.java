package dev.parley.server.dialogue;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.testing.Golden;
import dev.parley.server.dialogue.DialogueEngineTest.Recorder;
import dev.parley.server.dialogue.PromptedDialogueTest.PromptRecorder;
import dev.parley.server.engine.EngineObserver;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.persona.PersonaPlexTiny;
import dev.parley.server.persona.PromptSteps;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session that joins mid-stream with a long prompt shares the live sessions' steps: counted step
 * by step with the engine's observer (no timing), the live sessions each get one frame in every
 * step, the prefill adds one row to those steps and no step of its own while live frames wait, and
 * takes exactly as many steps as its prompt has (voice frames, silences, text tokens).
 */
class PrefillSharingTest {
  static final int LIVE = 3;
  static final int LIVE_FRAMES = 240;
  static final int JOIN_AT_STEP = 5;
  @TempDir static Path dir;
  static SpeechModel model;
  static SpeechModel moshi; // the demo: prompts are experimental there, same prefill
  static float[] voice;
  static long[] phases; // the golden prompt's steps per phase: voice, silence, text, silence

  @BeforeAll
  static void load() throws Exception {
    model = PersonaPlexTiny.load(dir);
    moshi = DemoModel.build(Device.cpu());
    voice = PersonaPlexTiny.voice();
    try (SafeTensorsFile f = Golden.open("personaplex_tiny.gen.safetensors")) {
      phases = f.longs("prompt_phase_steps");
      assertThat(phases[0] + phases[1] + phases[2] + phases[3])
          .isEqualTo(f.longs("num_prompt_steps")[0]);
    }
  }

  @AfterAll
  static void close() {
    model.close();
    moshi.close();
  }

  /** One engine step as the observer saw it. */
  record Step(int rows, int liveRows, int[] perLive, boolean promptDoneAfter) {}

  @Test
  void theGoldenPromptTakesTheGoldenNumberOfStepsAllSharedWithLiveSessions() throws Exception {
    String text = "You are a calm robot.";
    int expected = (int) (phases[0] + phases[1] + phases[2] + phases[3]);
    joinMidStream(model, new DialoguePrompt(text, voice, "golden"), expected);
  }

  @Test
  void aLongPromptJoiningMidStreamSharesStepsAndKeepsEveryLiveSessionAtOneFramePerStep()
      throws Exception {
    String text = String.join(" ", Collections.nCopies(8, "You are a calm robot."));
    // The voice and silence phases are the golden prompt's (same voice, same model); the text
    // phase has one step per token of the wrapped prompt.
    int textSteps = model.tokenizer().encode(PromptSteps.wrapWithSystemTags(text)).length;
    assertThat(textSteps).isGreaterThan(4 * (int) phases[2]);
    int expected = (int) (phases[0] + phases[1] + textSteps + phases[3]);
    joinMidStream(model, new DialoguePrompt(text, voice, "golden"), expected);
  }

  /** The same on a Moshi model's experimental text prompt: its silences are PersonaPlex's. */
  @Test
  void aMoshiTextPromptJoiningMidStreamSharesStepsToo() throws Exception {
    String text = String.join(" ", Collections.nCopies(4, "You are a calm robot."));
    int textSteps = moshi.tokenizer().encode(PromptSteps.wrapWithSystemTags(text)).length;
    int expected = (int) (phases[1] + textSteps + phases[3]);
    joinMidStream(moshi, DialoguePrompt.text(text), expected);
  }

  void joinMidStream(SpeechModel model, DialoguePrompt prompt, int expectedPromptSteps)
      throws Exception {
    assertThat(expectedPromptSteps + JOIN_AT_STEP + 10).isLessThan(LIVE_FRAMES);
    List<Step> steps = Collections.synchronizedList(new ArrayList<>());
    DialogueSession[] live = new DialogueSession[LIVE];
    long[] consumed = new long[LIVE];
    PromptRecorder joined = new PromptRecorder();
    DialogueEngine[] engine = new DialogueEngine[1];
    EngineObserver counting =
        new EngineObserver() {
          @Override
          public void stepTimed(int batch, long encode, long lm, long decode, long total) {
            int[] perLive = new int[LIVE];
            int liveRows = 0;
            for (int i = 0; i < LIVE; i++) {
              long c = live[i].framesConsumed();
              perLive[i] = (int) (c - consumed[i]);
              consumed[i] = c;
              liveRows += perLive[i];
            }
            steps.add(new Step(batch, liveRows, perLive, joined.promptDone.isDone()));
            if (steps.size() == JOIN_AT_STEP) {
              try {
                engine[0].open(PromptedDialogueTest.options(prompt), joined);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            }
          }
        };
    Recorder[] liveOut = new Recorder[LIVE];
    try (DialogueEngine e = new DialogueEngine(model, LIVE + 1, LIVE_FRAMES, counting)) {
      engine[0] = e;
      float[][] audio = new float[LIVE][];
      for (int i = 0; i < LIVE; i++) {
        liveOut[i] = new Recorder();
        audio[i] = DialogueEngineTest.input(100 + i, LIVE_FRAMES);
      }
      // Opened first, then fed: no step runs before every live session is open.
      for (int i = 0; i < LIVE; i++) {
        live[i] = e.open(DialogueOptions.greedy(), liveOut[i]);
      }
      for (int i = 0; i < LIVE; i++) {
        live[i].offerAudio(audio[i], 0, audio[i].length);
      }
      for (Recorder r : liveOut) {
        r.await(LIVE_FRAMES - 2); // every frame but the delay's
      }
      // Outputs go out before a step ends: wait for every live frame's step itself, which the
      // engine's close lets finish, observer call included.
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      for (DialogueSession s : live) {
        while (s.framesConsumed() < LIVE_FRAMES && System.nanoTime() < until) {
          Thread.sleep(1);
        }
      }
      assertThat(joined.promptDone.get(60, TimeUnit.SECONDS)).isZero();
      System.out.printf(
          "prefill of %d steps among %d live sessions: %d steps, deadline misses %d%n",
          expectedPromptSteps, LIVE, steps.size(), e.deadlineMisses());
    }
    List<Step> all = List.copyOf(steps);
    int prefillRows = 0;
    int firstPrefill = -1;
    int lastPrefill = -1;
    for (int k = 0; k < all.size(); k++) {
      Step s = all.get(k);
      int rows = s.rows() - s.liveRows();
      assertThat(rows).as("prefill rows in step %d", k).isBetween(0, 1);
      for (int i = 0; i < LIVE; i++) {
        assertThat(s.perLive()[i]).as("frames of live session %d in step %d", i, k).isBetween(0, 1);
      }
      if (rows == 1) {
        prefillRows++;
        firstPrefill = firstPrefill < 0 ? k : firstPrefill;
        lastPrefill = k;
      }
    }
    assertThat(prefillRows).as("prefill steps").isEqualTo(expectedPromptSteps);
    // The prefill ran in consecutive steps, every one of them shared with all live sessions (each
    // had frames waiting throughout): no step of its own, no live session left out.
    assertThat(lastPrefill - firstPrefill + 1).isEqualTo(expectedPromptSteps);
    assertThat(firstPrefill).isGreaterThanOrEqualTo(JOIN_AT_STEP);
    // Each live session steps once per step from its first frame to its last, with no gap: the
    // prefill neither delays nor skips a live frame. (They start within a few steps of each
    // other: their audio is offered one after the other while the engine already runs.)
    int[] firstLive = new int[LIVE];
    for (int i = 0; i < LIVE; i++) {
      int first = -1;
      for (int k = 0; k < all.size() && first < 0; k++) {
        first = all.get(k).perLive()[i] == 1 ? k : -1;
      }
      firstLive[i] = first;
      for (int k = 0; k < all.size(); k++) {
        boolean inRun = k >= first && k < first + LIVE_FRAMES;
        assertThat(all.get(k).perLive()[i])
            .as("frames of live session %d in step %d (its first in step %d)", i, k, first)
            .isEqualTo(inRun ? 1 : 0);
      }
    }
    for (int k = 0; k < all.size(); k++) {
      Step s = all.get(k);
      if (k >= firstPrefill && k <= lastPrefill) {
        assertThat(s.perLive()).as("live frames in prefill step %d", k).containsOnly(1);
      }
      assertThat(s.promptDoneAfter())
          .as("prompt done after step %d", k)
          .isEqualTo(k >= lastPrefill);
    }
    // The live sessions ran one step per frame: the prefill cost them no extra steps.
    int lastStart = java.util.Arrays.stream(firstLive).max().orElseThrow();
    assertThat(all).hasSize(lastStart + LIVE_FRAMES);
    for (DialogueSession s : live) {
      assertThat(s.framesConsumed()).isEqualTo(LIVE_FRAMES);
    }
  }

  /**
   * A live session that stops sending does not hold a prefill back: once its frame is a whole frame
   * overdue the prefill steps on alone, to the end.
   */
  @Test
  void aPrefillDoesNotWaitForALiveSessionThatStoppedSending() throws Exception {
    PromptRecorder joined = new PromptRecorder();
    try (DialogueEngine e = new DialogueEngine(model, 2, 64, EngineObserver.NONE)) {
      Recorder r = new Recorder();
      DialogueSession quiet = e.open(DialogueOptions.greedy(), r);
      float[] audio = DialogueEngineTest.input(7, 4);
      quiet.offerAudio(audio, 0, audio.length);
      r.await(2);
      DialogueSession s =
          e.open(
              PromptedDialogueTest.options(new DialoguePrompt("Hello.", voice, "golden")), joined);
      assertThat(joined.promptDone.get(60, TimeUnit.SECONDS)).isZero();
      assertThat(s.isClosed()).isFalse();
      assertThat(quiet.framesConsumed()).isEqualTo(4);
    }
  }
}
