package dev.parley.server.tts;

import ai.djl.ndarray.NDManager;
import dev.parley.server.lm.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One whole synthesis at the LM level, as {@code TTSModel.generate} runs it for one script with
 * {@code cfg_coef} 1 (CFG-distilled models take the strength as the {@code cfg} condition): steps
 * until {@code end_step + delay_steps + final_padding}, the state machine choosing every text
 * input, frames returned with the delays undone. Frames before {@code delaySteps} hold −1 audio.
 * The golden tests use it to see every step's tokens and logits, which the engine does not expose.
 */
final class TtsSynthesis {
  private TtsSynthesis() {}

  /**
   * {@code TTSModel.from_checkpoint_info} defaults: max_padding 8, initial_padding 2, final_padding
   * 4, padding_bonus 0, max_gen_length 30000; the temperature applies to text and audio.
   */
  record Options(
      int maxPadding,
      int initialPadding,
      int finalPadding,
      float paddingBonus,
      SamplingParams text,
      SamplingParams audio,
      long seed,
      int maxGenLength) {
    static Options greedy() {
      return new Options(8, 2, 4, 0f, SamplingParams.GREEDY, SamplingParams.GREEDY, 0, 30000);
    }
  }

  /**
   * @param frames {@code [1 + dep_q]} each: text input then audio codes, delays undone
   * @param frameSteps the step that returned each frame
   * @param endStep the step the state machine ran out of words, or null if {@code maxGenLength}
   *     stopped it
   */
  record Result(
      List<long[]> frames,
      List<Long> frameSteps,
      List<TtsGen.Step> steps,
      Long endStep,
      List<Long> consumptionSteps,
      List<TtsStateMachine.Word> transcript) {}

  static Result run(
      TtsModel model,
      List<Entry> entries,
      ConditionAttributes attributes,
      Options o,
      NDManager manager,
      Consumer<TtsGen.Step> onStep) {
    TtsConfig cfg = model.config();
    TtsStateMachine machine =
        new TtsStateMachine(
            cfg.textCard(), cfg.secondStreamAhead(), o.maxPadding(), o.initialPadding());
    TtsStateMachine.State state = machine.newState(entries);
    List<long[]> frames = new ArrayList<>();
    List<Long> frameSteps = new ArrayList<>();
    List<TtsGen.Step> steps = new ArrayList<>();
    try (TtsGen gen = new TtsGen(model, 1, manager)) {
      gen.start(0, attributes, o.text(), o.audio(), o.seed(), o.paddingBonus());
      for (long offset = 0; offset < o.maxGenLength(); offset++) {
        if (state.endStep() != null
            && offset >= state.endStep() + gen.delaySteps() + o.finalPadding()) {
          break;
        }
        TtsGen.Step step =
            gen.step(
                new boolean[] {true}, (slot, at, sampled) -> machine.process(at, state, sampled));
        steps.add(step);
        if (onStep != null) {
          onStep.accept(step);
        }
        if (step.produced()[0]) {
          frames.add(step.frame()[0]);
          frameSteps.add(offset);
        }
      }
    }
    return new Result(
        frames, frameSteps, steps, state.endStep(), state.consumptionSteps(), state.transcript());
  }
}
