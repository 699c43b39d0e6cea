package dev.parley.server.tts;

import dev.parley.server.engine.BatchedEngine;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.engine.EngineLoop;
import dev.parley.server.engine.EngineObserver;
import dev.parley.server.lm.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The batched text-to-speech engine of one device: a fixed pool of session slots and one loop
 * thread that steps together every session that can make progress — one {@link TtsGen} step (the
 * state machine choosing each session's text input) and one batched streaming Mimi decode of the
 * frames that hold audio — while the others sit the step out with their state untouched.
 *
 * <p>Steps are not tied to the 80 ms clock: a session with words to speak runs as fast as compute
 * allows (moshi-server's {@code is_active}: the next word and the {@code second_stream_ahead} words
 * after it are known, or the text has ended). When streamed text runs dry the session waits, and
 * once its audio is less than {@link TtsSettings#underrunLeadSeconds} ahead of real-time playback
 * it steps with forced pads so the words already given keep coming out. Frames before the text lead
 * ({@code delay_steps}) hold no audio and are not decoded, as in the reference; the session stops
 * {@code delay_steps + final_padding} steps after its last word, as {@code TTSModel.generate}.
 */
public final class TtsEngine extends BatchedEngine<TtsSession> {
  private final SynthesisModel model;
  private final TtsSettings settings;
  private final TtsStateMachine machine;

  public TtsEngine(SynthesisModel model, TtsSettings settings, int maxSessions) {
    this(model, settings, maxSessions, EngineObserver.NONE);
  }

  /** Starts the engine thread; step times (model, decode) and sessions go to {@code observer}. */
  public TtsEngine(
      SynthesisModel model, TtsSettings settings, int maxSessions, EngineObserver observer) {
    super(
        new EngineLoop<>(
            "parley-tts-engine",
            maxSessions,
            TtsSession[]::new,
            observer,
            EngineLoop.Pacing.AS_FAST_AS_POSSIBLE));
    TtsConfig cfg = model.config();
    if (settings.codebooks() > cfg.lm().depQ()) {
      throw new IllegalArgumentException(
          "the model generates at most "
              + cfg.lm().depQ()
              + " codebooks, asked for "
              + settings.codebooks());
    }
    this.model = model;
    this.settings = settings;
    this.machine =
        new TtsStateMachine(
            cfg.textCard(),
            cfg.secondStreamAhead(),
            settings.maxPadding(),
            settings.initialPadding());
    loop.start(new SynthesisStep(loop, model, settings, machine, maxSessions, observer));
  }

  public SynthesisModel model() {
    return model;
  }

  public TtsSettings settings() {
    return settings;
  }

  public VoiceLibrary voices() {
    return model.voices();
  }

  /**
   * Opens a synthesis in a free slot. Voices are resolved here, so an unknown voice or a bad
   * embedding fails the call ({@link UnknownVoiceException}, {@link IllegalArgumentException}).
   *
   * @throws EngineFullException when every slot is taken
   */
  public TtsSession open(TtsOptions options, TtsListener listener) throws EngineFullException {
    TtsConfig cfg = model.config();
    List<String> names = new ArrayList<>();
    TensorCondition voices = null;
    if (cfg.multiSpeaker()) {
      List<Voice> chosen = new ArrayList<>();
      if (options.customVoice() != null) {
        chosen.add(options.customVoice());
        names.add(options.customVoice().name());
      } else {
        List<String> asked =
            options.voices().isEmpty() ? List.of(model.voices().defaultVoice()) : options.voices();
        for (String n : asked) {
          Voice v = model.voices().get(n);
          chosen.add(v);
          names.add(v.name());
        }
        if (chosen.size() == 1) {
          chosen.add(
              chosen.get(0)); // one voice speaks every turn, in both speaker slots (moshi-server)
        }
      }
      int dim = cfg.conditioners().get("speaker_wavs").dim();
      int stepsPerVoice = chosen.get(0).steps();
      List<float[]> wavs = new ArrayList<>();
      for (Voice v : chosen) {
        if (v.dim() != dim || v.steps() != stepsPerVoice) {
          throw new IllegalArgumentException(
              "voice "
                  + v.name()
                  + " is [1, "
                  + v.dim()
                  + ", "
                  + v.steps()
                  + "]; this model needs [1, "
                  + dim
                  + ", "
                  + stepsPerVoice
                  + "]");
        }
        wavs.add(v.speakerWavs());
      }
      voices = TensorCondition.voices(wavs, dim, stepsPerVoice, cfg.maxSpeakers());
    } else if (options.customVoice() != null || !options.voices().isEmpty()) {
      throw new IllegalArgumentException("model " + model.name() + " has no voice conditioning");
    }
    Double cfgCoef =
        cfg.validCfgValues().isEmpty()
            ? null
            : options.cfgCoef() != null ? options.cfgCoef() : settings.cfgCoef();
    ConditionAttributes attributes = ConditionAttributes.forTts(cfg, voices, cfgCoef);
    float temp = options.temperature() != null ? options.temperature() : settings.temperature();
    if (!(temp >= 0 && temp <= 5)) {
      throw new IllegalArgumentException("temperature must be in [0, 5], got " + temp);
    }
    SamplingParams sampling = temp == 0 ? SamplingParams.GREEDY : new SamplingParams(temp, 250, 0);
    long seed = options.seed() != null ? options.seed() : ThreadLocalRandom.current().nextLong();
    // Named voices recur: their conditions are computed once and copied into later sessions.
    String conditionKey =
        options.customVoice() != null ? null : String.join("\n", names) + "|" + cfgCoef;
    return loop.open(
        s ->
            new TtsSession(
                s,
                listener,
                attributes,
                conditionKey,
                names,
                sampling,
                sampling,
                seed,
                new TextFeed(
                    new Script.Builder(
                        model.tokenizer(),
                        cfg.multiSpeaker(),
                        settings.paddingBetween(),
                        TtsConfig.FRAME_RATE)),
                machine.newStreamingState(),
                settings.maxTextChars()));
  }

  /**
   * A whole script at once (speaker turns alternate between the voices) and the end of text: what
   * {@code Synthesize} and {@code POST /api/tts} do.
   */
  public TtsSession synthesize(List<String> turns, TtsOptions options, TtsListener listener)
      throws EngineFullException {
    long chars = 0;
    boolean blank = true;
    for (String t : turns) {
      chars += t.length();
      blank &= t.isBlank();
    }
    if (blank) {
      throw new IllegalArgumentException("no text to speak");
    }
    if (chars > settings.maxTextChars()) {
      throw new IllegalArgumentException(
          "text longer than " + settings.maxTextChars() + " characters");
    }
    TtsSession session = open(options, listener);
    try {
      session.pushTurns(turns);
    } catch (RuntimeException e) {
      session.close(e.getMessage());
      throw e;
    }
    return session;
  }
}
