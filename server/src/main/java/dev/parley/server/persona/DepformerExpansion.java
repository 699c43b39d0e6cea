package dev.parley.server.persona;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.parley.codec.nn.Parameters;
import dev.parley.codec.tensor.SafeTensorsFile;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a Moshi-shaped checkpoint (an 8-step depformer) as PersonaPlex's 16-step one, the way the
 * fork's loader patches it: a depformer self-attention tensor holding only the first 8 steps is
 * repeated ({@code cat([t, t], 0)}: steps 8..15 = 0..7), and a missing {@code gating.N.}, {@code
 * linears.N.}, {@code depformer_in.N.} or {@code depformer_emb.N.} (N = 8..15) is read from N − 8.
 * A checkpoint with all 16 steps passes through unchanged.
 */
final class DepformerExpansion implements Parameters {
  private static final Pattern PER_STEP =
      Pattern.compile("(gating|linears|depformer_in|depformer_emb)\\.(\\d+)\\.");

  private final Parameters inner;
  private final SafeTensorsFile file;
  private int expanded;

  DepformerExpansion(Parameters inner, SafeTensorsFile file) {
    this.inner = inner;
    this.file = file;
  }

  /** Tensors made by repeating or copying (59 for a tiny 2-layer model). */
  int expanded() {
    return expanded;
  }

  @Override
  public NDArray get(String name, long... shape) {
    if (file.contains(name)) {
      long[] stored = file.tensors().get(name).shape();
      if (name.contains("depformer")
          && name.contains("self_attn")
          && !Arrays.equals(stored, shape)
          && stored.length == shape.length
          && stored[0] * 2 == shape[0]
          && Arrays.equals(
              Arrays.copyOfRange(stored, 1, stored.length),
              Arrays.copyOfRange(shape, 1, shape.length))) {
        NDArray half = inner.get(name, stored);
        expanded++;
        NDArray full = half.concat(half, 0);
        half.close();
        return full;
      }
      return inner.get(name, shape);
    }
    Matcher m = PER_STEP.matcher(name);
    while (m.find()) {
      int step = Integer.parseInt(m.group(2));
      if (step >= 8 && step < 16) {
        String source =
            name.substring(0, m.start())
                + m.group(1)
                + "."
                + (step - 8)
                + "."
                + name.substring(m.end());
        if (file.contains(source)) {
          expanded++;
          return inner.get(source, shape);
        }
      }
    }
    return inner.get(name, shape);
  }

  @Override
  public NDManager manager() {
    return inner.manager();
  }

  @Override
  public boolean has(String name) {
    return inner.has(name);
  }
}
