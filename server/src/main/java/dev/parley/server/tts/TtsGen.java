package dev.parley.server.tts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.parley.codec.nn.ExecMask;
import dev.parley.codec.nn.SlotRows;
import dev.parley.codec.nn.Transformer;
import dev.parley.server.lm.DelayedStreams;
import dev.parley.server.lm.LmConfig;
import dev.parley.server.lm.LmModel;
import dev.parley.server.lm.SamplingParams;
import dev.parley.server.lm.TokenSampler;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Streaming TTS generation for B independent slots: the reference's {@code LMGen} as {@code
 * TTSModel.generate} drives it. A CFG-distilled model takes the guidance strength as a condition
 * (the logits are used as they come); the others get classic guidance, a second unconditioned row
 * per slot with {@code null + (cond − null)·coef}; a slot's two rows sit together (slot b: rows 2b
 * and 2b + 1), so slots 0..n−1 are rows 0..2n−1 and a step computes only those. Per slot: the fused
 * {@code sum} condition is added to every step's input and the {@code cross} condition's
 * keys/values are computed once at {@link #start}; each step samples the text token, lets a {@link
 * TextHook} (the TTS state machine) replace it — the replacement is what the depformer sees and the
 * next step's text input — then runs the depformer unless the slot is still within {@code
 * delaySteps} (−1 tokens instead), and zeroes (−1) audio token k while {@code offset < delays[1+k]
 * + delaySteps}. The audio streams the model reads but does not generate ({@code n_q − dep_q}) are
 * fed −1.
 */
public final class TtsGen implements AutoCloseable {
  public static final long UNGENERATED = DelayedStreams.UNGENERATED;
  public static final long ZERO = -1;

  /** Replaces the sampled text token of a slot (the reference's {@code on_text_hook}). */
  @FunctionalInterface
  public interface TextHook {
    long onText(int slot, long offset, long sampled);
  }

  private final TtsModel model;
  private final LmModel lm;
  private final LmConfig cfg;
  private final int batch;
  private final int delaySteps;
  private final NDManager manager;
  private final Transformer.State mainState;
  private final Transformer.State depState;
  private final NDArray conditionSum; // [B, 1, dim] in the LM's type, or null
  private final DelayedStreams streams;
  private final SamplingParams[] textParams;
  private final SamplingParams[] audioParams;
  private final float[] paddingBonus;
  private final SplittableRandom[] random;
  private final int padId;
  private final int depQ; // codebooks generated
  private final double cfgCoef;
  private final int perSlot; // rows per slot: 1, or 2 with classic CFG (2b and 2b + 1)

  public TtsGen(TtsModel model, int batch, NDManager parent) {
    this(model, batch, model.lm().config().depQ(), 1.0, parent);
  }

  /**
   * @param codebooks audio codebooks to generate, at most the model's {@code dep_q}: the
   *     reference's {@code n_q} ({@code lm.dep_q = n_q}); the streams past it are fed −1 like the
   *     ones the model never generates. Fewer codebooks: fewer depformer steps, coarser audio.
   */
  /**
   * @param cfgCoef classic classifier-free guidance for models without CFG distillation: 1 for
   *     none; otherwise every slot also runs a second, unconditioned row (conditions dropped, text
   *     input zeroed: the reference's {@code cfg_is_no_text}) and audio logits become {@code null +
   *     (cond − null)·cfgCoef}; text logits are the conditioned ones.
   */
  public TtsGen(TtsModel model, int batch, int codebooks, double cfgCoef, NDManager parent) {
    this.model = model;
    this.lm = model.lm();
    this.cfg = lm.config();
    if (codebooks < 1 || codebooks > cfg.depQ()) {
      throw new IllegalArgumentException(
          "codebooks must be 1.." + cfg.depQ() + ", got " + codebooks);
    }
    this.depQ = codebooks;
    this.cfgCoef = cfgCoef;
    this.perSlot = cfgCoef != 1.0 ? 2 : 1;
    int rows = perSlot * batch;
    this.batch = batch;
    this.delaySteps = model.config().delaySteps();
    this.manager = parent.newSubManager();
    this.mainState = lm.transformer().newState(manager, rows, lm.dataType());
    this.depState = lm.depformer().newState(manager, rows, lm.dataType(), depQ);
    this.conditionSum =
        model.config().fuser().sum().isEmpty()
            ? null
            : manager.zeros(new Shape(rows, 1, cfg.dim()), lm.dataType());
    this.streams = new DelayedStreams(batch, cfg.delays());
    this.textParams = new SamplingParams[batch];
    this.audioParams = new SamplingParams[batch];
    this.paddingBonus = new float[batch];
    this.random = new SplittableRandom[batch];
    this.padId = cfg.existingTextPaddingId();
    for (int b = 0; b < batch; b++) {
      textParams[b] = SamplingParams.GREEDY;
      audioParams[b] = SamplingParams.GREEDY;
      random[b] = new SplittableRandom(b);
      reset(b);
    }
  }

  public int batch() {
    return batch;
  }

  /** Audio codebooks generated per frame. */
  public int codebooks() {
    return depQ;
  }

  public int delaySteps() {
    return delaySteps;
  }

  public TtsModel model() {
    return model;
  }

  /**
   * Starts {@code slot} afresh with its conditions (computed once here: the sum condition and every
   * layer's cross-attention keys/values), sampling settings, seed and pad-logit bonus.
   */
  public void start(
      int slot,
      ConditionAttributes attributes,
      SamplingParams text,
      SamplingParams audio,
      long seed,
      float padBonus) {
    start(slot, attributes, null, text, audio, seed, padBonus);
  }

  /**
   * As above; {@code conditionKey} names the conditions (e.g. the voices and the cfg value) so a
   * later session with the same key copies the cached sum condition and cross-attention keys and
   * values instead of computing them again (null: do not cache, e.g. a client's own embedding).
   */
  public void start(
      int slot,
      ConditionAttributes attributes,
      String conditionKey,
      SamplingParams text,
      SamplingParams audio,
      long seed,
      float padBonus) {
    CachedConditions cached = conditionKey == null ? null : conditionCache.get(conditionKey);
    if (cached != null) {
      cached.applyTo(this, slot);
    } else {
      setConditions(row(slot), attributes);
      if (classic()) {
        setConditions(nullRow(slot), attributes.nulled());
      }
      if (conditionKey != null && mainState.hasCrossSource()) {
        conditionCache.put(conditionKey, CachedConditions.of(this, slot));
      }
    }
    textParams[slot] = text;
    audioParams[slot] = audio;
    paddingBonus[slot] = padBonus;
    random[slot] = new SplittableRandom(seed);
    reset(slot);
  }

  /** Conditions of recent sessions, by key, least recently used dropped first. */
  private final java.util.LinkedHashMap<String, CachedConditions> conditionCache =
      new java.util.LinkedHashMap<>(16, 0.75f, /* accessOrder= */ true) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, CachedConditions> eldest) {
          if (size() > CONDITION_CACHE_SIZE) {
            eldest.getValue().owner().close();
            return true;
          }
          return false;
        }
      };

  /**
   * Voices whose conditions stay cached (the real model's keys/values are ~100 MB a voice pair).
   */
  static final int CONDITION_CACHE_SIZE = 8;

  /**
   * One slot's conditions (and its unconditioned row's, with classic CFG), owned by {@code owner}.
   */
  private record CachedConditions(
      NDManager owner,
      NDArray sum,
      NDArray nullSum,
      ai.djl.ndarray.NDList keysValues,
      ai.djl.ndarray.NDList nullKeysValues) {
    static CachedConditions of(TtsGen gen, int slot) {
      NDManager owner = gen.manager.newSubManager();
      boolean cfg = gen.classic();
      int row = gen.row(slot);
      int nullRow = gen.nullRow(slot);
      return new CachedConditions(
          owner,
          gen.sumRow(row, owner),
          cfg ? gen.sumRow(nullRow, owner) : null,
          gen.mainState.crossKeysValues(row, owner),
          cfg ? gen.mainState.crossKeysValues(nullRow, owner) : null);
    }

    void applyTo(TtsGen gen, int slot) {
      gen.setSumRow(gen.row(slot), sum);
      gen.mainState.setCrossKeysValues(gen.row(slot), keysValues);
      if (nullKeysValues != null) {
        gen.setSumRow(gen.nullRow(slot), nullSum);
        gen.mainState.setCrossKeysValues(gen.nullRow(slot), nullKeysValues);
      }
    }
  }

  /** Whether every slot has a second, unconditioned row (classic CFG). */
  private boolean classic() {
    return perSlot == 2;
  }

  /** The slot's (conditioned) row of the transformer batch. */
  private int row(int slot) {
    return perSlot * slot;
  }

  /** The slot's unconditioned row, with classic CFG. */
  private int nullRow(int slot) {
    return perSlot * slot + 1;
  }

  private NDArray sumRow(int row, NDManager owner) {
    if (conditionSum == null) {
      return null;
    }
    NDArray c = conditionSum.get(new NDIndex("{}:{}", row, row + 1)).duplicate();
    c.attach(owner);
    return c;
  }

  private void setSumRow(int row, NDArray value) {
    if (conditionSum != null) {
      conditionSum.set(new NDIndex("{}:{}", row, row + 1), value);
    }
  }

  // The scope is opened for what closing it does: it frees every array made inside.
  @SuppressWarnings("try")
  private void setConditions(int row, ConditionAttributes attributes) {
    try (NDScope ignored = new NDScope();
        NDManager scope = manager.newSubManager()) {
      Conditioners.Conditions c = model.conditioners().compute(scope, attributes);
      if (conditionSum != null) {
        conditionSum.set(
            new NDIndex("{}:{}", row, row + 1), Conditioners.as(c.sum(), lm.dataType()));
      }
      if (c.cross() != null) {
        mainState.setCrossSource(row, Conditioners.as(c.cross(), lm.dataType()));
      }
    }
  }

  /**
   * Slot {@code to} takes over slot {@code from}'s synthesis as it is: conditions, token ring,
   * positions, KV caches, sampling settings and random generator ({@code from} is started afresh
   * before another synthesis uses it).
   */
  public void move(int from, int to) {
    streams.move(from, to);
    mainState.move(row(from), row(to));
    moveSumRow(row(from), row(to));
    if (classic()) {
      mainState.move(nullRow(from), nullRow(to));
      moveSumRow(nullRow(from), nullRow(to));
    }
    textParams[to] = textParams[from];
    audioParams[to] = audioParams[from];
    paddingBonus[to] = paddingBonus[from];
    random[to] = random[from];
    random[from] = new SplittableRandom(from);
  }

  private void moveSumRow(int from, int to) {
    if (conditionSum != null) {
      SlotRows.copy(conditionSum, from, to);
    }
  }

  private void reset(int slot) {
    streams.reset(slot);
    mainState.reset(row(slot));
    if (classic()) {
      mainState.reset(nullRow(slot));
    }
  }

  public long offset(int slot) {
    return streams.offset(slot);
  }

  /**
   * What one step produced, per slot. {@code textLogits} [n·text_card_out] before the pad bonus
   * (conditioned); {@code audioLogits[k]} [n·card] (guided), NaN for slots whose depformer did not
   * run.
   */
  public record Step(
      long[] offset,
      long[] textSampled,
      long[] textInput,
      boolean[] depformerRan,
      long[][] audioSampled,
      long[][] audioTokens,
      float[] textLogits,
      float[][] audioLogits,
      long[][] frame,
      boolean[] produced) {}

  // The resource is opened for what closing it does.
  @SuppressWarnings("try")
  public Step step(boolean[] active, TextHook hook) {
    // Slots 0..n-1 step (rows 0..r-1) and the others are not computed.
    if (active.length > batch) {
      throw new IllegalArgumentException("expected at most " + batch + " slots");
    }
    int n = active.length;
    int r = perSlot * n; // rows of the transformer batch
    int kk = cfg.numCodebooks();
    int[] delays = cfg.delays();
    long[][][] input = new long[r][kk][1];
    boolean runDepformer = false;
    boolean[] depRan = new boolean[n];
    long[] stepOffset = new long[n];
    for (int b = 0; b < n; b++) {
      stepOffset[b] = streams.offset(b);
    }
    for (int b = 0; b < n; b++) {
      if (active[b]) {
        for (int s = depQ + 1; s < kk; s++) {
          streams.putDelayed(b, s, ZERO);
        }
        depRan[b] = depQ > 0 && stepOffset[b] >= delaySteps;
        runDepformer |= depRan[b];
      }
      for (int k = 0; k < kk; k++) {
        input[row(b)][k][0] = streams.input(b, k, active[b], lm.initialToken(k));
      }
    }
    boolean[] rowActive = active;
    if (classic()) {
      rowActive = new boolean[r];
      for (int b = 0; b < n; b++) {
        rowActive[row(b)] = active[b];
        rowActive[nullRow(b)] = active[b];
        for (int k = 0; k < kk; k++) {
          input[nullRow(b)][k][0] = input[row(b)][k][0];
        }
        if (active[b] && streams.pastDelay(b, 0)) {
          input[nullRow(b)][0][0] = ZERO; // cfg_is_no_text: the unconditioned row reads no text
        }
      }
    }
    ExecMask mask = ExecMask.of(rowActive);
    long[] sampled = new long[n];
    long[] textInput = new long[n];
    long[][] audioSampled = new long[n][depQ];
    long[][] audio = new long[n][depQ];
    float[] textLogits;
    float[][] audioLogits = new float[depQ][];
    try (NDScope ignored = new NDScope();
        NDManager scope = manager.newSubManager()) {
      NDArray in = lm.embed(scope, input);
      if (conditionSum != null) {
        in = in.add(SlotRows.head(conditionSum, r, scope));
      }
      NDArray out = lm.transformerStep(in, mainState, mask);
      textLogits = lm.textLogits(out).toType(DataType.FLOAT32, /* copy= */ false).toFloatArray();
      int vocab = cfg.textCardOut();
      textLogits = conditionedRows(textLogits, n, vocab); // cfg_is_no_text: conditioned logits
      for (int b = 0; b < n; b++) {
        if (!active[b]) {
          continue;
        }
        float[] logits = textLogits;
        if (paddingBonus[b] != 0) {
          logits = Arrays.copyOfRange(textLogits, b * vocab, (b + 1) * vocab);
          logits[padId] += paddingBonus[b];
          sampled[b] = TokenSampler.sample(logits, 0, vocab, textParams[b], random[b]);
        } else {
          sampled[b] = TokenSampler.sample(logits, b * vocab, vocab, textParams[b], random[b]);
        }
        textInput[b] = hook == null ? sampled[b] : hook.onText(b, stepOffset[b], sampled[b]);
      }
      if (runDepformer) {
        depState.resetAll();
        long[] prev = textInput;
        for (int k = 0; k < depQ; k++) {
          long[] prevRows = prev;
          if (classic()) {
            prevRows = new long[r];
            for (int b = 0; b < n; b++) {
              prevRows[row(b)] = prev[b];
              prevRows[nullRow(b)] = prev[b];
            }
          }
          NDArray dIn = lm.depformerInput(scope, k, out, prevRows, r, 1);
          NDArray logits = lm.audioLogits(k, lm.depformerStep(dIn, depState));
          audioLogits[k] =
              guided(
                  logits.toType(DataType.FLOAT32, /* copy= */ false).toFloatArray(), n, cfg.card());
          long[] next = new long[n];
          for (int b = 0; b < n; b++) {
            if (depRan[b]) {
              next[b] =
                  TokenSampler.sample(
                      audioLogits[k], b * cfg.card(), cfg.card(), audioParams[b], random[b]);
            } else {
              Arrays.fill(audioLogits[k], b * cfg.card(), (b + 1) * cfg.card(), Float.NaN);
              next[b] = 0; // a valid id for the n's next depformer input; never used
            }
            audioSampled[b][k] = depRan[b] ? next[b] : ZERO;
          }
          prev = next;
        }
      } else {
        for (int k = 0; k < depQ; k++) {
          audioLogits[k] = new float[n * cfg.card()];
          Arrays.fill(audioLogits[k], Float.NaN);
        }
        for (long[] row : audioSampled) {
          Arrays.fill(row, ZERO);
        }
      }
    }
    long[][] frame = new long[n][depQ + 1];
    boolean[] produced = new boolean[n];
    for (int b = 0; b < n; b++) {
      if (!active[b]) {
        Arrays.fill(frame[b], UNGENERATED);
        Arrays.fill(audio[b], UNGENERATED);
        continue;
      }
      for (int k = 0; k < depQ; k++) {
        // _on_audio_hook: the audio lags the text by delay_steps on top of the acoustic delays.
        audio[b][k] = stepOffset[b] < delays[1 + k] + delaySteps ? ZERO : audioSampled[b][k];
      }
      produced[b] = streams.advance(b, textInput[b], audio[b], frame[b]);
    }
    return new Step(
        stepOffset,
        sampled,
        textInput,
        depRan,
        audioSampled,
        audio,
        textLogits,
        audioLogits,
        frame,
        produced);
  }

  /** The n slots' conditioned rows of {@code logits} (every other row with classic CFG). */
  private float[] conditionedRows(float[] logits, int n, int width) {
    if (!classic()) {
      return logits;
    }
    float[] out = new float[n * width];
    for (int b = 0; b < n; b++) {
      System.arraycopy(logits, row(b) * width, out, b * width, width);
    }
    return out;
  }

  /** With classic CFG, {@code null + (cond − null)·coef} per slot from its two rows of logits. */
  private float[] guided(float[] logits, int n, int card) {
    if (!classic()) {
      return logits;
    }
    float[] out = new float[n * card];
    float coef = (float) cfgCoef;
    for (int b = 0; b < n; b++) {
      int cond = row(b) * card;
      int none = nullRow(b) * card;
      for (int i = 0; i < card; i++) {
        float nl = logits[none + i];
        out[b * card + i] = nl + (logits[cond + i] - nl) * coef;
      }
    }
    return out;
  }

  @Override
  public void close() {
    manager.close();
  }
}
