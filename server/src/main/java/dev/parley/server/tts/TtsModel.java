package dev.parley.server.tts;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.parley.codec.nn.CheckpointParameters;
import dev.parley.codec.nn.Parameters;
import dev.parley.codec.nn.RandomParameters;
import dev.parley.codec.nn.WeightMismatchException;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.server.lm.LmModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A TTS checkpoint: the LM (cross-attention, demuxed text, low-rank depformer embeddings) in the
 * compute type, and its conditioners in float32. Immutable and shared; per-session state lives in
 * {@link TtsGen}.
 */
public final class TtsModel {
  private final TtsConfig cfg;
  private final LmModel lm;
  private final Conditioners conditioners;

  public TtsModel(TtsConfig cfg, LmModel lm, Conditioners conditioners) {
    this.cfg = cfg;
    this.lm = lm;
    this.conditioners = conditioners;
  }

  /**
   * Loads every tensor of a TTS checkpoint, failing once with every missing, mis-shaped or
   * unexpected key.
   */
  public static TtsModel load(Path weights, TtsConfig cfg, NDManager manager, DataType dataType)
      throws IOException {
    try (SafeTensorsFile file = SafeTensorsFile.open(weights)) {
      CheckpointParameters lmParams = new CheckpointParameters(file, manager, dataType, Map.of());
      LmModel lm = new LmModel(cfg.lm(), lmParams, dataType);
      CheckpointParameters condParams =
          new CheckpointParameters(file, manager, DataType.FLOAT32, Map.of());
      Conditioners conditioners = new Conditioners(cfg, condParams);
      List<String> problems = new ArrayList<>();
      collect(problems, () -> lmParams.verify(k -> k.startsWith(Conditioners.PREFIX)));
      collect(problems, () -> condParams.verify(k -> !k.startsWith(Conditioners.PREFIX)));
      if (!problems.isEmpty()) {
        throw new WeightMismatchException(weights.toString(), problems);
      }
      return new TtsModel(cfg, lm, conditioners);
    }
  }

  private static void collect(List<String> problems, Runnable verify) {
    try {
      verify.run();
    } catch (WeightMismatchException e) {
      problems.addAll(e.problems());
    }
  }

  /** Random weights (a demo model or a benchmark). */
  public static TtsModel random(TtsConfig cfg, NDManager manager, long seed, DataType dataType) {
    Parameters p = new RandomParameters(manager, seed, dataType);
    Parameters c = new RandomParameters(manager, seed + 1, DataType.FLOAT32);
    return new TtsModel(cfg, new LmModel(cfg.lm(), p, dataType), new Conditioners(cfg, c));
  }

  public TtsConfig config() {
    return cfg;
  }

  public LmModel lm() {
    return lm;
  }

  public Conditioners conditioners() {
    return conditioners;
  }
}
