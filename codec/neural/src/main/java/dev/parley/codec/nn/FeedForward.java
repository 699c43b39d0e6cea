package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;

/**
 * The transformer's feed-forward block: a GELU MLP, or Moshi's gated MLP ({@code
 * ActivationGating}).
 */
public interface FeedForward {
  NDArray apply(NDArray x);

  /**
   * {@code gating} "none": {@code linear2(gelu(linear1(x)))} with {@code prefix +
   * "linear1.weight"}. Otherwise the gated block under {@code gatingPrefix} (e.g. {@code
   * ...gating.} or {@code ...gating.3.}) with the reference's hidden-size rule.
   */
  static FeedForward create(
      String gating,
      Parameters p,
      String prefix,
      String gatingPrefix,
      int dim,
      int dimFeedforward) {
    if (gating.equals("none")) {
      return new GeluMlp(
          p.get(prefix + "linear1.weight", dimFeedforward, dim),
          p.get(prefix + "linear2.weight", dim, dimFeedforward));
    }
    int hidden = gatedHidden(dim, dimFeedforward);
    return new Gated(
        p.get(gatingPrefix + "linear_in.weight", 2L * hidden, dim),
        p.get(gatingPrefix + "linear_out.weight", dim, hidden),
        gating,
        hidden);
  }

  /**
   * {@code ActivationGating}: 21·dim/8 when dim_feedforward is exactly 4·dim, else
   * 2·dim_feedforward/3.
   */
  static int gatedHidden(int dim, int dimFeedforward) {
    return dimFeedforward == 4 * dim ? (21 * dim) / 8 : (2 * dimFeedforward) / 3;
  }

  record GeluMlp(NDArray linear1, NDArray linear2) implements FeedForward {
    @Override
    public NDArray apply(NDArray x) {
      return Ops.linear(Ops.gelu(Ops.linear(x, linear1)), linear2);
    }
  }

  /**
   * {@code linear_out(act(h[..., 0, :]) · h[..., 1, :])} with {@code h = linear_in(x)} viewed as
   * [.., 2, hidden].
   */
  record Gated(NDArray linearIn, NDArray linearOut, String activation, int hidden)
      implements FeedForward {
    @Override
    public NDArray apply(NDArray x) {
      // h viewed as [..., 2, hidden]: the first half is the gate.
      NDArray h = Ops.linear(x, linearIn);
      ai.djl.ndarray.NDList halves = h.split(new long[] {hidden}, h.getShape().dimension() - 1);
      NDArray gate = halves.get(0);
      NDArray up = halves.get(1);
      return Ops.linear(activate(gate).mul(up), linearOut);
    }

    private NDArray activate(NDArray g) {
      return switch (activation) {
        case "silu" -> Ops.silu(g);
        case "gelu" -> Ops.gelu(g);
        case "relu" -> g.getNDArrayInternal().relu();
        case "sigmoid" -> g.getNDArrayInternal().sigmoid();
        case "elu" -> Ops.elu(g);
        case "tanh" -> g.tanh();
        case "identity" -> g;
        default -> throw new IllegalArgumentException("unknown gating activation " + activation);
      };
    }
  }
}
