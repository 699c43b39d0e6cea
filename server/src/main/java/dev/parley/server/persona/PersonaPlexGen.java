package dev.parley.server.persona;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.parley.codec.nn.ExecMask;
import dev.parley.codec.nn.Transformer;
import dev.parley.server.lm.LmConfig;
import dev.parley.server.lm.LmModel;
import dev.parley.server.lm.SamplingParams;
import dev.parley.server.lm.TokenSampler;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Streaming generation for B independent slots with PersonaPlex's teacher forcing (the fork's
 * {@code LMGen}). Each slot keeps a token cache of {@code cache_columns} columns with a "provided"
 * mask: a step writes the tokens it is given (user audio, and during prompts the agent's audio and
 * text) at their delayed columns, feeds the previous column to the temporal transformer, and takes
 * the target column's forced tokens where provided, the sampled ones elsewhere — also as the next
 * input of the depth transformer. A slot's first step only sets the initial column (no model call).
 * Engine thread only.
 */
public final class PersonaPlexGen implements AutoCloseable {
  /**
   * A cache entry never written since the slot started (reference {@code ungenerated_token_id}).
   */
  public static final long UNGENERATED = -2;

  /** No text token given this step. */
  public static final long NO_TEXT = -1;

  private final LmModel model;
  private final LmConfig cfg;
  private final int batch;
  private final int columns;
  private final int maxDelay;
  private final NDManager manager;
  private final Transformer.State mainState;
  private final Transformer.State depState;
  private final long[][][] cache; // [slot][stream][column]
  private final boolean[][][] provided;
  private final long[] offsets;
  private final SamplingParams[] textParams;
  private final SamplingParams[] audioParams;
  private final SplittableRandom[] random;

  /**
   * What one slot is given at one step; null arrays are not given.
   *
   * @param user the user's 8 codes (streams 9..16)
   * @param agent the agent's 8 codes (streams 1..8), forced during prompts
   * @param text the text token, or {@link #NO_TEXT}
   */
  public record Given(long[] user, long[] agent, long text) {
    public static Given user(long[] codes) {
      return new Given(codes, null, NO_TEXT);
    }
  }

  /**
   * What one step did, per slot (null entries for slots that were not stepped).
   *
   * @param ran whether the model ran (false at a slot's first step)
   * @param modelInput the column fed to the temporal transformer
   * @param targetProvided the provided mask of the target column
   * @param result the target column after the step: forced tokens, sampled elsewhere
   * @param depformerInput the token fed to each depformer step (text for step 0)
   * @param sampledText the text sample before forcing (the argmax where forced)
   * @param sampledAudio each depformer step's sample before forcing (the argmax where forced)
   * @param textLogits [text_card] per slot
   * @param audioLogits [dep_q][card] per slot
   * @param output 17 tokens with the delays undone, or null while the delays fill
   */
  public record Step(
      boolean[] ran,
      long[][] modelInput,
      boolean[][] targetProvided,
      long[][] result,
      long[][] depformerInput,
      long[] sampledText,
      long[][] sampledAudio,
      float[][] textLogits,
      float[][][] audioLogits,
      long[][] output) {}

  public PersonaPlexGen(LmModel model, PersonaPlexConfig pp, int batch, NDManager parent) {
    this.model = model;
    this.cfg = model.config();
    this.batch = batch;
    this.columns = pp.cacheColumns();
    this.maxDelay = cfg.maxDelay();
    if (columns < maxDelay + 2) {
      throw new IllegalArgumentException("cache_columns must be at least max(delays) + 2");
    }
    this.manager = parent.newSubManager();
    this.mainState = model.transformer().newState(manager, batch, model.dataType());
    this.depState = model.depformer().newState(manager, batch, model.dataType(), cfg.depQ());
    int kk = cfg.numCodebooks();
    this.cache = new long[batch][kk][columns];
    this.provided = new boolean[batch][kk][columns];
    this.offsets = new long[batch];
    this.textParams = new SamplingParams[batch];
    this.audioParams = new SamplingParams[batch];
    this.random = new SplittableRandom[batch];
    for (int b = 0; b < batch; b++) {
      configure(b, SamplingParams.GREEDY, SamplingParams.GREEDY, b);
    }
  }

  public int batch() {
    return batch;
  }

  public LmModel model() {
    return model;
  }

  /** Starts slot {@code slot} afresh with its own sampling settings and seed. */
  public void configure(int slot, SamplingParams text, SamplingParams audio, long seed) {
    textParams[slot] = text;
    audioParams[slot] = audio;
    random[slot] = new SplittableRandom(seed);
    reset(slot);
  }

  /**
   * Slot {@code to} takes over slot {@code from}'s stream as it is: token cache, provided mask,
   * offset, KV caches, sampling settings and random generator. {@code from} is to be configured
   * afresh before another stream uses it.
   */
  public void move(int from, int to) {
    mainState.move(from, to);
    for (int k = 0; k < cache[from].length; k++) {
      System.arraycopy(cache[from][k], 0, cache[to][k], 0, columns);
      System.arraycopy(provided[from][k], 0, provided[to][k], 0, columns);
    }
    offsets[to] = offsets[from];
    textParams[to] = textParams[from];
    audioParams[to] = audioParams[from];
    random[to] = random[from];
    random[from] = new SplittableRandom(from);
  }

  /**
   * A slot's stream as it is after some steps (a prompt's prefill): offset, token cache, provided
   * mask and the temporal transformer's state; its arrays belong to the manager given to {@link
   * #snapshot}. The depformer's state is per step, and sampling settings stay each session's own.
   */
  public record Snapshot(
      long offset, long[][] cache, boolean[][] provided, Transformer.SlotCopy transformer) {}

  /** A copy of slot {@code slot}'s stream, its arrays owned by {@code into}. */
  public Snapshot snapshot(int slot, NDManager into) {
    return new Snapshot(offsets[slot], cache(slot), provided(slot), mainState.copy(slot, into));
  }

  /**
   * Slot {@code slot} continues from {@code snapshot} with the sampling settings and random
   * generator it was configured with; the snapshot stays the caller's.
   */
  public void restore(int slot, Snapshot snapshot) {
    for (int k = 0; k < cache[slot].length; k++) {
      System.arraycopy(snapshot.cache()[k], 0, cache[slot][k], 0, columns);
      System.arraycopy(snapshot.provided()[k], 0, provided[slot][k], 0, columns);
    }
    offsets[slot] = snapshot.offset();
    mainState.restore(slot, snapshot.transformer());
  }

  /** Offset 0, nothing cached or provided, transformer positions reset. */
  public void reset(int slot) {
    offsets[slot] = 0;
    for (int k = 0; k < cache[slot].length; k++) {
      Arrays.fill(cache[slot][k], UNGENERATED);
      Arrays.fill(provided[slot][k], false);
    }
    mainState.reset(slot);
  }

  public long offset(int slot) {
    return offsets[slot];
  }

  /** A copy of the slot's token cache, [stream][column]. */
  public long[][] cache(int slot) {
    long[][] c = new long[cache[slot].length][];
    for (int k = 0; k < c.length; k++) {
      c[k] = cache[slot][k].clone();
    }
    return c;
  }

  /** A copy of the slot's provided mask, [stream][column]. */
  public boolean[][] provided(int slot) {
    boolean[][] c = new boolean[provided[slot].length][];
    for (int k = 0; k < c.length; k++) {
      c[k] = provided[slot][k].clone();
    }
    return c;
  }

  /**
   * One step for every slot whose {@code given} entry is not null: slots 0..n−1, n = {@code
   * given.length} (at most the rows; the slots above are not computed).
   */
  // The scope is opened for what closing it does: it frees every array made inside.
  @SuppressWarnings("try")
  public Step step(Given[] given) {
    int rows = given.length;
    if (rows < 1 || rows > batch) {
      throw new IllegalArgumentException("expected 1.." + batch + " slots");
    }
    int kk = cfg.numCodebooks();
    int depQ = cfg.depQ();
    boolean[] ran = new boolean[rows];
    long[][] modelInput = new long[rows][];
    long[][] target = new long[rows][];
    boolean[][] targetProvided = new boolean[rows][];
    for (int b = 0; b < rows; b++) {
      if (given[b] != null) {
        ran[b] = prepare(b, given[b]);
        if (ran[b]) {
          long s = offsets[b];
          modelInput[b] = column(cache[b], (int) ((s - 1) % columns));
          target[b] = column(cache[b], (int) (s % columns));
          targetProvided[b] = new boolean[kk];
          for (int k = 0; k < kk; k++) {
            targetProvided[b][k] = provided[b][k][(int) (s % columns)];
          }
        }
      }
    }
    Step step =
        new Step(
            ran,
            modelInput,
            targetProvided,
            new long[rows][],
            new long[rows][],
            new long[rows],
            new long[rows][],
            new float[rows][],
            new float[rows][][],
            new long[rows][]);
    boolean any = false;
    for (boolean r : ran) {
      any |= r;
    }
    if (any) {
      runModel(step, target);
    }
    for (int b = 0; b < rows; b++) {
      if (ran[b]) {
        finish(b, step);
      }
    }
    return step;
  }

  /** Writes the given tokens and initial columns; false at offset 0 (no model call). */
  private boolean prepare(int b, Given g) {
    int[] delays = cfg.delays();
    long s = offsets[b];
    int n = PersonaPlexConfig.AUDIO_TOKENS_PER_STREAM;
    if (g.user() != null) {
      checkCodes(b, g.user(), "user");
      for (int q = 0; q < n; q++) {
        put(b, n + 1 + q, s + delays[n + 1 + q], g.user()[q]);
      }
    }
    if (g.agent() != null) {
      checkCodes(b, g.agent(), "agent");
      for (int q = 0; q < n; q++) {
        put(b, 1 + q, s + delays[1 + q], g.agent()[q]);
      }
    }
    if (g.text() != NO_TEXT) {
      if (g.text() < 0 || g.text() > cfg.textCard()) {
        throw new IllegalArgumentException("slot " + b + ": text token " + g.text());
      }
      put(b, 0, s + delays[0], g.text());
    }
    for (int k = 0; k < delays.length; k++) {
      // The delayed streams have nothing to read before their delay: the initial token.
      if (s <= delays[k]) {
        put(b, k, s, model.initialToken(k));
      }
    }
    if (s == 0) {
      for (int k = 0; k < delays.length; k++) {
        cache[b][k][0] = model.initialToken(k);
      }
      offsets[b] = 1;
      return false;
    }
    return true;
  }

  private void checkCodes(int b, long[] codes, String who) {
    if (codes.length != PersonaPlexConfig.AUDIO_TOKENS_PER_STREAM) {
      throw new IllegalArgumentException(
          "slot "
              + b
              + ": expected "
              + PersonaPlexConfig.AUDIO_TOKENS_PER_STREAM
              + " "
              + who
              + " codes, got "
              + codes.length);
    }
    for (long c : codes) {
      if (c < 0 || c >= cfg.card()) {
        throw new IllegalArgumentException("slot " + b + ": " + who + " code " + c);
      }
    }
  }

  private void put(int b, int stream, long at, long token) {
    int col = (int) (at % columns);
    cache[b][stream][col] = token;
    provided[b][stream][col] = true;
  }

  private static long[] column(long[][] c, int col) {
    long[] v = new long[c.length];
    for (int k = 0; k < c.length; k++) {
      v[k] = c[k][col];
    }
    return v;
  }

  @SuppressWarnings("try")
  private void runModel(Step step, long[][] target) {
    int kk = cfg.numCodebooks();
    int depQ = cfg.depQ();
    int rows = step.ran().length;
    long[][][] input = new long[rows][kk][1];
    for (int b = 0; b < rows; b++) {
      for (int k = 0; k < kk; k++) {
        long t = step.ran()[b] ? step.modelInput()[b][k] : model.initialToken(k);
        if (t == UNGENERATED) {
          throw new IllegalStateException(
              "slot " + b + " stream " + k + ": no token at step " + offsets[b]);
        }
        input[b][k][0] = t;
      }
    }
    try (NDScope ignored = new NDScope();
        NDManager scope = manager.newSubManager()) {
      NDArray out =
          model.transformerStep(model.embed(scope, input), mainState, ExecMask.of(step.ran()));
      float[] text =
          model.textLogits(out).toType(DataType.FLOAT32, /* copy= */ false).toFloatArray();
      int vocab = cfg.textCardOut();
      long[] prev = new long[rows];
      for (int b = 0; b < rows; b++) {
        if (!step.ran()[b]) {
          continue;
        }
        step.textLogits()[b] = Arrays.copyOfRange(text, b * vocab, (b + 1) * vocab);
        // A forced token is not sampled: forced steps (a prompt's) draw no random numbers, so a
        // session's sampling does not depend on how its prompt got into its state.
        long sampled =
            TokenSampler.sample(text, b * vocab, vocab, params(step, b, 0, textParams), random[b]);
        step.sampledText()[b] = sampled;
        prev[b] = step.targetProvided()[b][0] ? target[b][0] : sampled;
        step.depformerInput()[b] = new long[depQ];
        step.sampledAudio()[b] = new long[depQ];
        step.audioLogits()[b] = new float[depQ][];
      }
      depState.resetAll();
      int card = cfg.card();
      for (int c = 0; c < depQ; c++) {
        for (int b = 0; b < rows; b++) {
          if (step.ran()[b]) {
            step.depformerInput()[b][c] = prev[b];
          }
        }
        NDArray in = model.depformerInput(scope, c, out, prev, rows, 1);
        float[] logits =
            model
                .audioLogits(c, model.depformerStep(in, depState))
                .toType(DataType.FLOAT32, /* copy= */ false)
                .toFloatArray();
        long[] next = new long[rows];
        for (int b = 0; b < rows; b++) {
          if (!step.ran()[b]) {
            continue;
          }
          step.audioLogits()[b][c] = Arrays.copyOfRange(logits, b * card, (b + 1) * card);
          long sampled =
              TokenSampler.sample(
                  logits, b * card, card, params(step, b, 1 + c, audioParams), random[b]);
          step.sampledAudio()[b][c] = sampled;
          next[b] = step.targetProvided()[b][1 + c] ? target[b][1 + c] : sampled;
        }
        prev = next;
      }
    }
  }

  /** The slot's sampling settings for a stream, greedy (no random draw) where it is forced. */
  private static SamplingParams params(Step step, int b, int stream, SamplingParams[] perSlot) {
    return step.targetProvided()[b][stream] ? SamplingParams.GREEDY : perSlot[b];
  }

  /** Clears the consumed column, fills the target with samples where not forced, emits. */
  private void finish(int b, Step step) {
    int kk = cfg.numCodebooks();
    long s = offsets[b];
    int in = (int) ((s - 1) % columns);
    int tgt = (int) (s % columns);
    for (int k = 0; k < kk; k++) {
      provided[b][k][in] = false;
    }
    if (!provided[b][0][tgt]) {
      cache[b][0][tgt] = step.sampledText()[b];
    }
    for (int k = 1; k <= cfg.depQ(); k++) {
      if (!provided[b][k][tgt]) {
        cache[b][k][tgt] = step.sampledAudio()[b][k - 1];
      }
    }
    step.result()[b] = column(cache[b], tgt);
    if (s > maxDelay) {
      int[] delays = cfg.delays();
      long[] out = new long[cfg.depQ() + 1];
      for (int k = 0; k < out.length; k++) {
        out[k] = cache[b][k][(int) ((s - maxDelay + delays[k]) % columns)];
      }
      step.output()[b] = out;
    }
    offsets[b] = s + 1;
  }

  @Override
  public void close() {
    manager.close();
  }
}
