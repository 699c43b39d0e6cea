package dev.parley.server.tts;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.parley.codec.torch.TorchRuntime;
import dev.parley.server.lm.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Classic CFG (two rows per slot) in a several-slot generator: a synthesis that starts in a high
 * slot and moves down when a lower one finishes, and its neighbours, each produce step for step
 * exactly the tokens they produce alone in a one-slot generator, from the same logits (up to the
 * float rounding of another batch size). A step computes only the rows of slots 0..n−1, so the move
 * must carry both rows of a slot.
 */
class TtsClassicCfgSlotsTest {
  static final int SLOTS = 3;

  /** One synthesis: its voice, seed and length in steps. */
  record Session(int voice, long seed, int steps) {
    /** A fixed text schedule per session stands in for the state machine. */
    long text(long offset) {
      return offset % 4 == 1 ? 10 + voice : offset % 4 == 3 ? 0 : 3;
    }
  }

  /** What a session's step gave: sampled text, text logits, guided audio logits, frame. */
  record Out(long sampled, float[] textLogits, float[][] audioLogits, long[] frame) {}

  @Test
  void aSynthesisThatMovesDownGivesExactlyWhatItGivesAlone() throws Exception {
    TtsConfig cfg = TtsClassicCfgTest.classicConfig();
    List<Session> sessions =
        List.of(new Session(0, 11, 7), new Session(1, 12, 16), new Session(2, 13, 14));
    try (NDManager m = TorchRuntime.newManager()) {
      TtsModel model = TtsModel.random(cfg, m, 42, DataType.FLOAT32);
      List<List<Out>> alone = new ArrayList<>();
      for (Session s : sessions) {
        try (TtsGen gen = new TtsGen(model, 1, cfg.lm().depQ(), TtsClassicCfgTest.COEF, m)) {
          start(gen, 0, cfg, s);
          List<Out> outs = new ArrayList<>();
          for (int i = 0; i < s.steps(); i++) {
            outs.add(out(gen.step(new boolean[] {true}, (slot, at, x) -> s.text(at)), 0, cfg));
          }
          alone.add(outs);
        }
      }
      List<List<Out>> batched = new ArrayList<>();
      sessions.forEach(s -> batched.add(new ArrayList<>()));
      int[] sessionAt = {0, 1, 2}; // slot → session, −1 free
      boolean moved = false;
      try (TtsGen gen = new TtsGen(model, SLOTS, cfg.lm().depQ(), TtsClassicCfgTest.COEF, m)) {
        for (int slot = 0; slot < SLOTS; slot++) {
          start(gen, slot, cfg, sessions.get(slot));
        }
        while (Arrays.stream(sessionAt).anyMatch(i -> i >= 0)) {
          // Compaction as the engine does it: the highest session moves into a free lower slot.
          int free = indexOf(sessionAt, -1);
          int top = lastLive(sessionAt);
          if (free >= 0 && top > free) {
            gen.move(top, free);
            sessionAt[free] = sessionAt[top];
            sessionAt[top] = -1;
            moved = true;
          }
          int n = lastLive(sessionAt) + 1;
          boolean[] active = new boolean[n];
          for (int slot = 0; slot < n; slot++) {
            active[slot] = sessionAt[slot] >= 0;
          }
          int[] at = sessionAt.clone();
          TtsGen.Step step =
              gen.step(active, (slot, offset, x) -> sessions.get(at[slot]).text(offset));
          for (int slot = 0; slot < n; slot++) {
            int i = sessionAt[slot];
            if (i < 0) {
              continue;
            }
            batched.get(i).add(out(step, slot, cfg));
            if (batched.get(i).size() == sessions.get(i).steps()) {
              sessionAt[slot] = -1;
            }
          }
        }
      }
      assertThat(moved).as("a session moved down").isTrue();
      for (int i = 0; i < sessions.size(); i++) {
        assertThat(batched.get(i)).hasSameSizeAs(alone.get(i));
        for (int s = 0; s < alone.get(i).size(); s++) {
          Out a = alone.get(i).get(s);
          Out b = batched.get(i).get(s);
          String at = "session " + i + " step " + s;
          assertThat(b.sampled()).as(at).isEqualTo(a.sampled());
          assertThat(b.frame()).as(at).containsExactly(a.frame());
          // The same tokens; logits equal up to the float rounding of another batch size.
          assertThat(b.textLogits())
              .as(at)
              .usingElementComparator(TtsClassicCfgTest.close(1e-5f))
              .containsExactly(a.textLogits());
          for (int k = 0; k < a.audioLogits().length; k++) {
            assertThat(b.audioLogits()[k])
                .as(at + " codebook " + k)
                .usingElementComparator(TtsClassicCfgTest.close(1e-4f))
                .containsExactly(a.audioLogits()[k]);
          }
        }
      }
      // The last steps generated audio (from guided logits).
      long[] last = alone.get(1).get(15).frame();
      assertThat(Arrays.stream(last, 1, last.length)).allMatch(code -> code >= 0);
    }
  }

  private static void start(TtsGen gen, int slot, TtsConfig cfg, Session s) {
    gen.start(
        slot,
        TtsClassicCfgTest.voiceAttributes(cfg, s.voice()),
        SamplingParams.DEFAULT_TEXT,
        SamplingParams.DEFAULT_AUDIO,
        s.seed(),
        0.5f);
  }

  private static Out out(TtsGen.Step step, int slot, TtsConfig cfg) {
    int vocab = cfg.lm().textCardOut();
    int card = cfg.lm().card();
    float[][] audio = new float[step.audioLogits().length][];
    for (int k = 0; k < audio.length; k++) {
      audio[k] = Arrays.copyOfRange(step.audioLogits()[k], slot * card, (slot + 1) * card);
    }
    return new Out(
        step.textSampled()[slot],
        Arrays.copyOfRange(step.textLogits(), slot * vocab, (slot + 1) * vocab),
        audio,
        step.frame()[slot].clone());
  }

  private static int indexOf(int[] a, int v) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == v) {
        return i;
      }
    }
    return -1;
  }

  private static int lastLive(int[] a) {
    for (int i = a.length - 1; i >= 0; i--) {
      if (a[i] >= 0) {
        return i;
      }
    }
    return -1;
  }
}
