package dev.parley.server.persona;

import dev.parley.server.persona.PersonaPlexGen.Given;
import java.util.ArrayList;
import java.util.List;

/**
 * The teacher-forced steps of a PersonaPlex prompt, in the fork's order: the voice prompt's Mimi
 * frames as the agent's audio (text PAD), silence, the role prompt's text tokens (agent silent),
 * silence again; the user stream hears the sine frame throughout. Either prompt may be absent.
 */
public final class PromptSteps {
  private PromptSteps() {}

  /**
   * @param voiceFrames Mimi codes of the voice prompt, one 8-code frame per step (may be empty)
   * @param textIds tokens of the wrapped role prompt (may be empty)
   */
  public static List<Given> of(PersonaPlexConfig pp, List<long[]> voiceFrames, long[] textIds) {
    List<Given> steps = new ArrayList<>();
    long[] sine = pp.sineTokens();
    long[] silence = pp.silenceTokens();
    for (long[] frame : voiceFrames) {
      steps.add(new Given(sine, frame, pp.zeroTextCode()));
    }
    addSilence(steps, pp);
    for (long id : textIds) {
      steps.add(new Given(sine, silence, id));
    }
    addSilence(steps, pp);
    return steps;
  }

  private static void addSilence(List<Given> steps, PersonaPlexConfig pp) {
    for (int i = 0; i < pp.silenceFrames(); i++) {
      steps.add(new Given(pp.sineTokens(), pp.silenceTokens(), pp.zeroTextCode()));
    }
  }

  /**
   * The role prompt as the model was trained to read it: {@code <system> text <system>}, unless the
   * (trimmed) text is already wrapped.
   */
  public static String wrapWithSystemTags(String text) {
    String cleaned = text.strip();
    if (cleaned.startsWith("<system>") && cleaned.endsWith("<system>")) {
      return cleaned;
    }
    return "<system> " + cleaned + " <system>";
  }
}
