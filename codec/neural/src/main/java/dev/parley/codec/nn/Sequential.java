package dev.parley.codec.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * Modules applied in order; optionally with an identity shortcut around them (SEANet's residual
 * block).
 */
public final class Sequential implements StreamingModule {
  private final List<StreamingModule> modules;
  private final boolean residual;

  public Sequential(List<StreamingModule> modules, boolean residual) {
    this.modules = List.copyOf(modules);
    this.residual = residual;
  }

  @Override
  public NDArray forward(NDArray x) {
    NDArray y = x;
    for (StreamingModule m : modules) {
      y = m.forward(y);
    }
    return residual ? x.add(y) : y;
  }

  @Override
  public SlotState newState(NDManager manager, int batch) {
    SlotState[] states = new SlotState[modules.size()];
    for (int i = 0; i < states.length; i++) {
      states[i] = modules.get(i).newState(manager, batch);
    }
    return new States(states);
  }

  @Override
  public NDArray step(NDArray x, SlotState state, ExecMask mask) {
    SlotState[] states = ((States) state).states;
    NDArray y = x;
    for (int i = 0; i < states.length; i++) {
      y = modules.get(i).step(y, states[i], mask);
    }
    return residual ? x.add(y) : y;
  }

  private record States(SlotState[] states) implements SlotState {
    @Override
    public void reset(int slot) {
      for (SlotState s : states) {
        s.reset(slot);
      }
    }

    @Override
    public void move(int from, int to) {
      for (SlotState s : states) {
        s.move(from, to);
      }
    }
  }
}
