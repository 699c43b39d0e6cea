package dev.parley.server.dialogue;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.server.engine.BatchedEngine;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.engine.EngineLoop;
import dev.parley.server.engine.EngineObserver;
import dev.parley.server.lm.LmGen;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.persona.MoshiPrompts;
import dev.parley.server.persona.PersonaPlexGen;
import dev.parley.server.persona.PromptVoices;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The batched dialogue engine of one device: a fixed pool of session slots and one loop thread
 * that, whenever any session has a complete 80 ms frame, steps every such session together ({@link
 * DialogueStep}). Slots without a frame sit the step out with their state untouched (exec masks),
 * so a stalled client never stalls the others. Transports only call {@link DialogueSession} and
 * never touch tensors.
 */
public final class DialogueEngine extends BatchedEngine<DialogueSession> {
  /** A step is due every 80 ms; one that takes longer is a deadline miss for each session in it. */
  public static final long FRAME_NANOS = ModelAudio.FRAME_NANOS;

  private final SpeechModel model;
  private final int maxQueuedFrames;
  private final AtomicLong deadlineMisses = new AtomicLong();
  private volatile PromptVoices promptVoices = PromptVoices.none();
  private final PrefillCache<?> promptCache;

  public DialogueEngine(
      SpeechModel model, int maxSessions, int maxQueuedFrames, EngineObserver observer) {
    super(
        new EngineLoop<>(
            "parley-engine",
            maxSessions,
            DialogueSession[]::new,
            observer,
            EngineLoop.Pacing.REAL_TIME));
    if (model.lm().config().depQ() == 0) {
      throw new IllegalArgumentException(
          "model " + model.name() + " generates no audio: not a dialogue model");
    }
    this.model = model;
    this.maxQueuedFrames = maxQueuedFrames;
    if (model.personaPlex().isPresent()) {
      PrefillCache<PersonaPlexGen.Snapshot> cache = new PrefillCache<>(model.manager());
      promptCache = cache;
      loop.start(
          new PersonaPlexDialogueStep(loop, model, maxSessions, observer, deadlineMisses, cache));
    } else {
      PrefillCache<LmGen.Snapshot> cache = new PrefillCache<>(model.manager());
      promptCache = cache;
      loop.start(
          new DialogueStep(
              loop,
              model,
              maxSessions,
              observer,
              deadlineMisses,
              promptsExperimental()
                  ? MoshiPrompts.config(model.lm().config(), model.mimi(), model.manager())
                  : null,
              cache));
    }
  }

  /** Whether sessions may carry a persona prompt ({@link DialogueOptions#prompt}). */
  public boolean acceptsPrompts() {
    return model.personaPlex().isPresent() || promptsExperimental();
  }

  /**
   * Whether prompts are an experiment on this model: a Moshi checkpoint, never trained on them,
   * takes them the way PersonaPlex does ({@link MoshiPrompts}).
   */
  public boolean promptsExperimental() {
    return model.personaPlex().isEmpty() && MoshiPrompts.fits(model.lm().config());
  }

  /** The voice prompts sessions may name (none unless set). */
  public PromptVoices promptVoices() {
    return promptVoices;
  }

  public DialogueEngine usePromptVoices(PromptVoices voices) {
    this.promptVoices = voices;
    return this;
  }

  /**
   * Keeps the state at most {@code entries} (voice, text) prompts' prefills end in, least recently
   * used evicted, so that sessions with one of them skip its prefill (0: none; default {@value
   * PrefillCache#DEFAULT_ENTRIES}).
   */
  public DialogueEngine usePromptCache(int entries) {
    promptCache.capacity(entries);
    return this;
  }

  /** Sessions that skipped their prefill, their prompt's state found in the prompt cache. */
  public long promptCacheHits() {
    return promptCache.hits();
  }

  /**
   * The prompt a client asked for by name or text; null when it asked for none.
   *
   * @throws IllegalArgumentException for an unknown voice, unreadable or over-long audio, or a
   *     prompt on a model that takes none
   */
  public DialoguePrompt prompt(String text, String voiceName) throws java.io.IOException {
    boolean hasVoice = voiceName != null && !voiceName.isBlank();
    if (!wantsPrompt(text, hasVoice)) {
      return null;
    }
    String name = hasVoice ? voiceName.strip() : null;
    return prompt(text, hasVoice ? promptVoices.load(name) : null, name);
  }

  /**
   * The prompt of a client that brought its own voice audio ({@code voice}: 24 kHz mono, or null)
   * instead of naming one; null when it asked for none.
   *
   * @throws IllegalArgumentException for over-long audio, or a prompt on a model that takes none
   */
  public DialoguePrompt prompt(String text, float[] voice, String voiceName) {
    if (!wantsPrompt(text, voice != null)) {
      return null;
    }
    return new DialoguePrompt(text, voice, voice != null ? voiceName : null);
  }

  /** Whether a prompt was asked for; the one check of whether this model takes it. */
  private boolean wantsPrompt(String text, boolean hasVoice) {
    boolean hasText = text != null && !text.isBlank();
    if (!hasText && !hasVoice) {
      return false;
    }
    if (!acceptsPrompts()) {
      throw new IllegalArgumentException(
          "model "
              + model.name()
              + " takes no voice or text prompt (a PersonaPlex model, or a Moshi one with 8"
              + " audio streams each way, does)");
    }
    return true;
  }

  public SpeechModel model() {
    return model;
  }

  /**
   * Opens a session in a free slot; its streaming state is reset by the engine thread before its
   * first step.
   *
   * @throws EngineFullException when every slot is taken
   * @throws IllegalStateException after {@link #shutdown}
   */
  public DialogueSession open(DialogueOptions options, DialogueListener listener)
      throws EngineFullException {
    return loop.open(s -> new DialogueSession(s, options, listener, maxQueuedFrames));
  }

  /** Session-steps, over all sessions, that ran longer than 80 ms. */
  public long deadlineMisses() {
    return deadlineMisses.get();
  }
}
