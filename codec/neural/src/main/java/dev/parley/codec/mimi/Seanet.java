package dev.parley.codec.mimi;

import dev.parley.codec.nn.Ops;
import dev.parley.codec.nn.Parameters;
import dev.parley.codec.nn.Sequential;
import dev.parley.codec.nn.StreamingConv1d;
import dev.parley.codec.nn.StreamingConvTranspose1d;
import dev.parley.codec.nn.StreamingModule;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds SEANet's convolutional encoder and decoder ({@code modules/seanet.py}) as streaming module
 * stacks, with the checkpoint's module indices ({@code encoder.model.<i>}).
 */
final class Seanet {
  private Seanet() {}

  static Sequential encoder(Parameters p, MimiConfig.Seanet c) {
    List<StreamingModule> model = new ArrayList<>();
    int mult = 1;
    model.add(conv(p, 0, c.channels(), mult * c.nFilters(), c.kernelSize(), 1, 1));
    int[] ratios = c.ratios();
    for (int r = ratios.length - 1; r >= 0; r--) {
      int ratio = ratios[r];
      for (int j = 0; j < c.nResidualLayers(); j++) {
        model.add(residual(p, "encoder.model." + model.size() + ".", mult * c.nFilters(), c, j));
      }
      model.add(StreamingModule.activation(Ops::elu));
      model.add(
          conv(p, model.size(), mult * c.nFilters(), mult * c.nFilters() * 2, ratio * 2, ratio, 1));
      mult *= 2;
    }
    model.add(StreamingModule.activation(Ops::elu));
    model.add(conv(p, model.size(), mult * c.nFilters(), c.dimension(), c.lastKernelSize(), 1, 1));
    return new Sequential(model, false);
  }

  static Sequential decoder(Parameters p, MimiConfig.Seanet c) {
    List<StreamingModule> model = new ArrayList<>();
    int[] ratios = c.ratios();
    int mult = 1 << ratios.length;
    model.add(
        new StreamingConv1d(
            p,
            "decoder.model.0.conv.conv.",
            c.dimension(),
            (long) mult * c.nFilters(),
            c.kernelSize(),
            1,
            1,
            1,
            true,
            false));
    for (int ratio : ratios) {
      model.add(StreamingModule.activation(Ops::elu));
      model.add(
          new StreamingConvTranspose1d(
              p,
              "decoder.model." + model.size() + ".convtr.convtr.",
              (long) mult * c.nFilters(),
              (long) mult * c.nFilters() / 2,
              ratio * 2,
              ratio,
              1,
              true));
      for (int j = 0; j < c.nResidualLayers(); j++) {
        model.add(
            residual(p, "decoder.model." + model.size() + ".", mult * c.nFilters() / 2, c, j));
      }
      mult /= 2;
    }
    model.add(StreamingModule.activation(Ops::elu));
    model.add(
        new StreamingConv1d(
            p,
            "decoder.model." + model.size() + ".conv.conv.",
            c.nFilters(),
            c.channels(),
            c.lastKernelSize(),
            1,
            1,
            1,
            true,
            false));
    return new Sequential(model, false);
  }

  private static StreamingConv1d conv(
      Parameters p, int index, long in, long out, int kernel, int stride, int dilation) {
    return new StreamingConv1d(
        p,
        "encoder.model." + index + ".conv.conv.",
        in,
        out,
        kernel,
        stride,
        dilation,
        1,
        true,
        false);
  }

  /** SEANetResnetBlock: x + conv1x1(elu(conv_k(elu(x)))) with hidden = dim / compress. */
  private static Sequential residual(
      Parameters p, String prefix, int dim, MimiConfig.Seanet c, int layer) {
    int hidden = dim / c.compress();
    int dilation = (int) Math.pow(c.dilationBase(), layer);
    List<StreamingModule> block = new ArrayList<>();
    block.add(StreamingModule.activation(Ops::elu));
    block.add(
        new StreamingConv1d(
            p,
            prefix + "block.1.conv.conv.",
            dim,
            hidden,
            c.residualKernelSize(),
            1,
            dilation,
            1,
            true,
            false));
    block.add(StreamingModule.activation(Ops::elu));
    block.add(
        new StreamingConv1d(
            p, prefix + "block.3.conv.conv.", hidden, dim, 1, 1, 1, 1, true, false));
    return new Sequential(block, true);
  }
}
