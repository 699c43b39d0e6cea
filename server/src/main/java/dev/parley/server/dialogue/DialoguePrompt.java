package dev.parley.server.dialogue;

/**
 * A session's persona (PersonaPlex): a text role prompt and/or a voice prompt, fed to the model as
 * teacher-forced steps before the conversation starts. Either part may be absent.
 *
 * @param text the role prompt as the user wrote it (wrapped in {@code <system>} tags by the
 *     engine), or null
 * @param voice 24 kHz mono samples whose voice the model speaks in (loudness-normalised by the
 *     engine), or null
 * @param voiceName the voice's name for logs and metadata, or null
 */
public record DialoguePrompt(String text, float[] voice, String voiceName) {
  /** Longest role prompt accepted, in characters (the 7B model's prompts are a few hundred). */
  public static final int MAX_TEXT_CHARS = 4000;

  /** Longest voice prompt accepted (PersonaPlex's own voices are about 10 s). */
  public static final double MAX_VOICE_SECONDS = 30;

  /** Shortest voice prompt: one 400 ms loudness block. */
  public static final double MIN_VOICE_SECONDS = 0.4;

  public DialoguePrompt {
    if (text != null && text.isBlank()) {
      text = null;
    }
    if (text != null && text.length() > MAX_TEXT_CHARS) {
      throw new IllegalArgumentException(
          "text prompt too long: " + text.length() + " characters, at most " + MAX_TEXT_CHARS);
    }
    if (voice != null) {
      double seconds = voice.length / 24000.0;
      if (seconds > MAX_VOICE_SECONDS) {
        throw new IllegalArgumentException(
            String.format(
                "voice prompt too long: %.1f s, at most %.0f s", seconds, MAX_VOICE_SECONDS));
      }
      if (seconds < MIN_VOICE_SECONDS) {
        throw new IllegalArgumentException(
            String.format(
                "voice prompt too short: %.2f s, at least %.1f s", seconds, MIN_VOICE_SECONDS));
      }
    }
  }

  public static DialoguePrompt text(String text) {
    return new DialoguePrompt(text, null, null);
  }

  public boolean isEmpty() {
    return text == null && voice == null;
  }
}
