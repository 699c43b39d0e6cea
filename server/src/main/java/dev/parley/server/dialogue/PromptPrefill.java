package dev.parley.server.dialogue;

import dev.parley.server.persona.PersonaPlexConfig;
import dev.parley.server.persona.PersonaPlexGen.Given;
import dev.parley.server.persona.PromptSteps;
import dev.parley.server.persona.VoiceLoudness;
import dev.parley.server.text.TextTokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * One session's prompt, fed one step per engine step before its conversation: first the voice
 * prompt's frames (normalised to the model's loudness target; each is Mimi-encoded in the engine's
 * batched encode, then forced as the agent's audio), then silence, the role prompt's tokens and
 * silence again. Engine thread only.
 */
final class PromptPrefill {
  private final PersonaPlexConfig pp;
  private final float[][] voiceFrames;
  private final List<Given> rest;
  private int next;

  private PromptPrefill(PersonaPlexConfig pp, float[][] voiceFrames, List<Given> rest) {
    this.pp = pp;
    this.voiceFrames = voiceFrames;
    this.rest = rest;
  }

  static PromptPrefill of(PersonaPlexConfig pp, TextTokenizer tokenizer, DialoguePrompt prompt) {
    float[][] frames = new float[0][];
    if (prompt.voice() != null) {
      float[] pcm = VoiceLoudness.normalize(prompt.voice(), pp.sampleRate(), pp.targetLufs());
      int n = pp.frameSize();
      frames = new float[(pcm.length + n - 1) / n][];
      for (int i = 0; i < frames.length; i++) {
        // The last frame is zero-padded.
        frames[i] = Arrays.copyOfRange(pcm, i * n, i * n + n);
      }
    }
    long[] ids = new long[0];
    if (prompt.text() != null) {
      ids =
          Arrays.stream(tokenizer.encode(PromptSteps.wrapWithSystemTags(prompt.text())))
              .asLongStream()
              .toArray();
    }
    return new PromptPrefill(pp, frames, PromptSteps.of(pp, List.of(), ids));
  }

  /** Steps in all (voice frames, silences and text). */
  int steps() {
    return voiceFrames.length + rest.size();
  }

  boolean done() {
    return next >= steps();
  }

  /** The voice frame to encode this step, or null once the voice phase is over. */
  float[] voiceFrame() {
    return next < voiceFrames.length ? voiceFrames[next] : null;
  }

  /**
   * This step's forced tokens ({@code voiceCodes}: the encoded voice frame, in the voice phase).
   */
  Given take(long[] voiceCodes) {
    Given g;
    if (next < voiceFrames.length) {
      g = new Given(pp.sineTokens(), voiceCodes, pp.zeroTextCode());
    } else {
      g = rest.get(next - voiceFrames.length);
    }
    next++;
    return g;
  }
}
