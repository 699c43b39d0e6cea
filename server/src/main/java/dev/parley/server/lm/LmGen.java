package dev.parley.server.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.parley.codec.nn.ExecMask;
import dev.parley.codec.nn.Transformer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Streaming generation for B independent slots (the reference's {@code LMGen} with exec and reset
 * masks): each step takes the input audio codes of every active slot, runs the temporal transformer
 * once for the batch, samples the text token, then each audio codebook through the depth
 * transformer, and returns each slot's frame realigned across the stream delays.
 *
 * <p>The delayed tokens wait in a {@link DelayedStreams} ring.
 */
public final class LmGen implements AutoCloseable {
  /** Marks a position that holds no token yet (reference {@code ungenerated_token_id}). */
  public static final long UNGENERATED = DelayedStreams.UNGENERATED;

  private final LmModel model;
  private final LmConfig cfg;
  private final int batch;
  private final NDManager manager;
  private final Transformer.State mainState;
  private final Transformer.State depState;
  private final DelayedStreams streams;
  private final SamplingParams[] textParams;
  private final SamplingParams[] audioParams;
  private final SplittableRandom[] random;

  public LmGen(LmModel model, int batch, NDManager parent) {
    this.model = model;
    this.cfg = model.config();
    this.batch = batch;
    this.manager = parent.newSubManager();
    this.mainState = model.transformer().newState(manager, batch, model.dataType());
    this.depState =
        cfg.depQ() > 0
            ? model.depformer().newState(manager, batch, model.dataType(), cfg.depQ())
            : null;
    this.streams = new DelayedStreams(batch, cfg.delays());
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
   * Slot {@code to} takes over slot {@code from}'s stream as it is: token ring, positions, KV
   * caches, sampling settings and random generator. {@code from} is to be configured afresh before
   * another stream uses it.
   */
  public void move(int from, int to) {
    streams.move(from, to);
    mainState.move(from, to);
    textParams[to] = textParams[from];
    audioParams[to] = audioParams[from];
    random[to] = random[from];
    random[from] = new SplittableRandom(from);
  }

  /** The slot forgets its stream: position 0, empty token cache, transformer positions reset. */
  public void reset(int slot) {
    streams.reset(slot);
    mainState.reset(slot);
  }

  /** Steps taken by the slot since its last reset. */
  public long offset(int slot) {
    return streams.offset(slot);
  }

  /**
   * What one step produced. Arrays are per slot; inactive slots and slots still filling their
   * delays hold −2.
   */
  public record Step(
      long[][] frame,
      boolean[] produced,
      long[] textToken,
      long[][] audioTokens,
      float[] textLogits,
      float[][] audioLogits,
      float[] extraHeads) {}

  /**
   * One step of slots 0..n−1, n = {@code active.length} (at most the batch; the others are not
   * computed). {@code inputCodes[b]} holds at least {@code n_q − dep_q} codes for an active slot
   * (extra entries are ignored, as the reference does) and may be null for an inactive one.
   */
  public Step step(long[][] inputCodes, boolean[] active) {
    return step(inputCodes, active, new Forced[active.length]);
  }

  /**
   * What a slot's generated streams are forced to at one step (a prompt's teacher forcing), given
   * undelayed like the input codes: the step that generates them takes these instead of samples,
   * and the depth transformer reads them.
   *
   * @param agent the model's own {@code dep_q} audio codes, or null
   * @param text the text token, or {@link #NO_TEXT}
   */
  public record Forced(long[] agent, long text) {}

  /** No text token forced. */
  public static final long NO_TEXT = -1;

  /**
   * {@link #step(long[][], boolean[])} with {@code forced[b]} (null: nothing forced) for each slot.
   */
  // The scope is opened for what closing it does: it frees every array made inside.
  @SuppressWarnings("try")
  public Step step(long[][] inputCodes, boolean[] active, Forced[] forced) {
    int rows = active.length;
    if (inputCodes.length != rows || forced.length != rows || rows < 1 || rows > batch) {
      throw new IllegalArgumentException("expected 1.." + batch + " slots, codes for each");
    }
    int kk = cfg.numCodebooks();
    int depQ = cfg.depQ();
    long[][][] input = new long[rows][kk][1];
    for (int b = 0; b < rows; b++) {
      if (active[b]) {
        long[] codes = inputCodes[b];
        if (codes == null || codes.length < cfg.inputStreams()) {
          throw new IllegalArgumentException(
              "slot " + b + ": expected " + cfg.inputStreams() + " input codes");
        }
        for (int s = depQ + 1; s < kk; s++) {
          long code = codes[s - depQ - 1];
          if (code < ScaledEmbedding.ZERO_TOKEN || code >= cfg.card()) {
            throw new IllegalArgumentException(
                "slot " + b + ": audio code " + code + " out of range");
          }
          streams.putDelayed(b, s, code);
        }
        if (forced[b] != null) {
          force(b, forced[b]);
        }
      }
      for (int k = 0; k < kk; k++) {
        input[b][k][0] = streams.input(b, k, active[b], model.initialToken(k));
      }
    }
    ExecMask mask = ExecMask.of(active);
    long[] textToken = new long[rows];
    long[][] audio = new long[rows][depQ];
    float[] textLogits;
    float[][] audioLogits = new float[depQ][];
    float[] heads = null;
    // NDScope frees every tensor the step creates, whichever manager an operation put it in.
    try (NDScope ignored = new NDScope();
        NDManager scope = manager.newSubManager()) {
      NDArray out = model.transformerStep(model.embed(scope, input), mainState, mask);
      textLogits = model.textLogits(out).toType(DataType.FLOAT32, /* copy= */ false).toFloatArray();
      int vocab = cfg.textCardOut();
      for (int b = 0; b < rows; b++) {
        // A slot sitting the step out draws nothing: its random stream stays where its own steps
        // left it, so a sampled session that stalls in a batch gets what it gets alone.
        textToken[b] =
            active[b]
                ? streams.forcedOr(
                    b,
                    0,
                    TokenSampler.sample(
                        textLogits, b * vocab, vocab, params(b, 0, textParams), random[b]))
                : 0;
      }
      if (depQ > 0) {
        depState.resetAll();
        long[] prev = textToken;
        for (int k = 0; k < depQ; k++) {
          NDArray in = model.depformerInput(scope, k, out, prev, rows, 1);
          NDArray logits = model.audioLogits(k, model.depformerStep(in, depState));
          audioLogits[k] = logits.toType(DataType.FLOAT32, /* copy= */ false).toFloatArray();
          long[] next = new long[rows];
          for (int b = 0; b < rows; b++) {
            next[b] =
                active[b]
                    ? streams.forcedOr(
                        b,
                        1 + k,
                        TokenSampler.sample(
                            audioLogits[k],
                            b * cfg.card(),
                            cfg.card(),
                            params(b, 1 + k, audioParams),
                            random[b]))
                    : 0;
            audio[b][k] = next[b];
          }
          prev = next;
        }
      }
      if (cfg.extraHeadsNumHeads() > 0) {
        heads = model.extraHeads(out).toType(DataType.FLOAT32, /* copy= */ false).toFloatArray();
      }
    }
    long[][] frame = new long[rows][depQ + 1];
    boolean[] produced = new boolean[rows];
    for (int b = 0; b < rows; b++) {
      if (!active[b]) {
        Arrays.fill(frame[b], UNGENERATED);
        continue;
      }
      produced[b] = streams.advance(b, textToken[b], audio[b], frame[b]);
    }
    return new Step(frame, produced, textToken, audio, textLogits, audioLogits, heads);
  }

  /**
   * The slot's sampling settings for a stream; greedy, drawing no random number, where the token is
   * forced or never read: a prompt's steps draw none, so a session samples the same whether its
   * prompt was prefilled or its state copied from a cache.
   */
  private SamplingParams params(int b, int stream, SamplingParams[] perSlot) {
    return streams.sampled(b, stream) ? perSlot[b] : SamplingParams.GREEDY;
  }

  /**
   * A slot's stream after some steps (a prompt's prefill): tokens and the temporal transformer's
   * state, its arrays owned by the manager given to {@link #snapshot}.
   */
  public record Snapshot(DelayedStreams.Tokens tokens, Transformer.SlotCopy transformer) {}

  public Snapshot snapshot(int slot, NDManager into) {
    return new Snapshot(streams.copy(slot), mainState.copy(slot, into));
  }

  /**
   * The slot continues from {@code snapshot} with its own sampling settings and random generator;
   * the snapshot stays the caller's.
   */
  public void restore(int slot, Snapshot snapshot) {
    streams.restore(slot, snapshot.tokens());
    mainState.restore(slot, snapshot.transformer());
  }

  private void force(int b, Forced f) {
    if (f.agent() != null) {
      if (f.agent().length != cfg.depQ()) {
        throw new IllegalArgumentException(
            "slot " + b + ": expected " + cfg.depQ() + " forced codes, got " + f.agent().length);
      }
      for (int k = 0; k < f.agent().length; k++) {
        long code = f.agent()[k];
        if (code < 0 || code >= cfg.card()) {
          throw new IllegalArgumentException("slot " + b + ": forced code " + code);
        }
        streams.force(b, 1 + k, code);
      }
    }
    if (f.text() != NO_TEXT) {
      if (f.text() < 0 || f.text() >= cfg.textCardOut()) {
        throw new IllegalArgumentException("slot " + b + ": forced text token " + f.text());
      }
      streams.force(b, 0, f.text());
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
