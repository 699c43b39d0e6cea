package dev.parley.server.dialogue;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.server.dialogue.PromptedDialogueTest.PromptRecorder;
import dev.parley.server.engine.EngineObserver;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.persona.PromptSteps;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Experimental prompts on a Moshi model (the demo): the PersonaPlex prefill, per session. */
class MoshiPromptTest {
  static final int FRAMES = 10;
  static SpeechModel model;
  static float[] user;
  static float[] voice;

  @BeforeAll
  static void load() {
    model = DemoModel.build(Device.cpu());
    user = DialogueEngineTest.input(5, FRAMES);
    voice = DialogueEngineTest.input(9, 8); // 0.64 s: 8 voice frames
  }

  @AfterAll
  static void close() {
    model.close();
  }

  /** Without a prompt the LM's delay holds back the first frames; after one, none. */
  static int expectedFrames(DialoguePrompt p) {
    return p == null ? FRAMES - model.lm().config().maxDelay() : FRAMES;
  }

  static List<long[]> alone(DialoguePrompt p, long seed) throws Exception {
    try (DialogueEngine engine = new DialogueEngine(model, 1, 64, EngineObserver.NONE)) {
      PromptRecorder r = new PromptRecorder();
      engine.open(options(p, seed), r).offerAudio(user, 0, user.length);
      r.frames.await(expectedFrames(p));
      return PromptedDialogueTest.tokens(r.frames.frames);
    }
  }

  static DialogueOptions options(DialoguePrompt p, long seed) {
    return DialogueOptions.defaults(seed).withPrompt(p);
  }

  @Test
  void aMoshiEngineTakesPromptsAsAnExperiment() throws Exception {
    try (DialogueEngine engine = new DialogueEngine(model, 1, 64, EngineObserver.NONE)) {
      assertThat(engine.acceptsPrompts()).isTrue();
      assertThat(engine.promptsExperimental()).isTrue();
      assertThat(engine.prompt("You are a pirate.", null).text()).isEqualTo("You are a pirate.");
    }
  }

  @Test
  void sessionsWithDifferentPromptsAndOneWithoutGetWhatTheyGetAlone() throws Exception {
    DialoguePrompt[] prompts = {
      DialoguePrompt.text("You are a pirate."),
      DialoguePrompt.text("<system> You only talk about the weather, at length. <system>"),
      null,
      new DialoguePrompt("You are calm.", voice, "noise")
    };
    List<List<long[]>> together;
    try (DialogueEngine engine = new DialogueEngine(model, 4, 64, EngineObserver.NONE)) {
      DialogueOptions[] o = new DialogueOptions[prompts.length];
      int[] frames = new int[prompts.length];
      for (int i = 0; i < prompts.length; i++) {
        o[i] = options(prompts[i], 7);
        frames[i] = expectedFrames(prompts[i]);
      }
      together = PromptedDialogueTest.together(engine, o, user, frames);
    }
    for (int i = 0; i < prompts.length; i++) {
      List<long[]> solo = alone(prompts[i], 7);
      assertThat(together.get(i)).as("session %d", i).hasSameSizeAs(solo);
      for (int j = 0; j < solo.size(); j++) {
        assertThat(together.get(i).get(j)).as("session %d frame %d", i, j).isEqualTo(solo.get(j));
      }
    }
  }

  /** Mid-prefill or mid-conversation, the prompt's place and the forced tokens move too. */
  @Test
  void aPromptedSessionThatMovesDownGetsWhatItGetsAlone() throws Exception {
    DialoguePrompt prompt = new DialoguePrompt("You are calm.", voice, "noise");
    PromptedDialogueTest.assertMovesKeepOutput(
        model, options(prompt, 7), user, FRAMES, alone(prompt, 7));
  }

  @Test
  void aPromptedSessionsFirstOutputDiffersFromAnUnpromptedOneWithTheSameSeed() throws Exception {
    List<long[]> plain = alone(null, 3);
    List<long[]> prompted = alone(DialoguePrompt.text("You are a pirate."), 3);
    assertThat(prompted.get(0)).isNotEqualTo(plain.get(0));
  }

  @Test
  void thePrefillTakesOneStepPerVoiceFrameTextTokenAndSilenceFrame() throws Exception {
    String text = "You are a pirate who loves the sea.";
    int tokens = model.tokenizer().encode(PromptSteps.wrapWithSystemTags(text)).length;
    // 0.5 s of silence (6 frames at 12.5 Hz) after the voice and after the text.
    int silence = 6;
    assertThat(prefillSteps(DialoguePrompt.text(text))).isEqualTo(silence + tokens + silence);
    assertThat(prefillSteps(new DialoguePrompt(text, voice, "noise")))
        .isEqualTo(8 + silence + tokens + silence);
  }

  /** Engine steps a lone session with no audio took until its prompt was done. */
  private static int prefillSteps(DialoguePrompt p) throws Exception {
    AtomicInteger steps = new AtomicInteger();
    EngineObserver counter =
        new EngineObserver() {
          @Override
          public void stepTimed(int batch, long encode, long lm, long decode, long total) {
            steps.incrementAndGet();
          }
        };
    try (DialogueEngine engine = new DialogueEngine(model, 1, 64, counter)) {
      PromptRecorder r = new PromptRecorder();
      engine.open(options(p, 1), r);
      r.promptDone.get(30, TimeUnit.SECONDS);
    }
    // Read once the engine has stopped; with no audio nothing steps after the prefill.
    return steps.get();
  }
}
