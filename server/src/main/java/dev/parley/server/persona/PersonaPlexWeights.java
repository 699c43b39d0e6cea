package dev.parley.server.persona;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.parley.codec.nn.CheckpointParameters;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.server.lm.LmConfig;
import dev.parley.server.lm.LmModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** Loads a PersonaPlex LM checkpoint, expanding an 8-step depformer to 16 as the fork does. */
public final class PersonaPlexWeights {
  private PersonaPlexWeights() {}

  /** A loaded model and how many tensors the 8 → 16 expansion made (0 for a full checkpoint). */
  public record Loaded(LmModel model, int expandedTensors) {}

  public static Loaded load(Path weights, LmConfig cfg, NDManager manager, DataType dataType)
      throws IOException {
    try (SafeTensorsFile file = SafeTensorsFile.open(weights)) {
      CheckpointParameters p = new CheckpointParameters(file, manager, dataType, Map.of());
      DepformerExpansion expansion = new DepformerExpansion(p, file);
      LmModel model = new LmModel(cfg, expansion, dataType);
      p.verify();
      return new Loaded(model, expansion.expanded());
    }
  }
}
