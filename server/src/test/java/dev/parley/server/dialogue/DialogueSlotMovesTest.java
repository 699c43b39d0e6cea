package dev.parley.server.dialogue;

import static dev.parley.server.dialogue.DialogueEngineTest.assertSameTokens;
import static dev.parley.server.dialogue.DialogueEngineTest.input;
import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.server.engine.EngineObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine keeps its live sessions in the low slots and steps only rows 0..n−1: when a lower slot
 * frees, the session above moves down with its whole state. Whatever the order of joins and leaves,
 * every session produces exactly the tokens it produces alone on a 1-slot engine, and the engine
 * holds the same native arrays throughout.
 */
class DialogueSlotMovesTest {
  static final int FRAMES = 14;

  @BeforeAll
  static void load() {
    DialogueEngineTest.load();
  }

  @AfterAll
  static void close() {
    DialogueEngineTest.close();
  }

  /** A session of the schedule: its input's seed, the tick it opens at and the one it closes at. */
  record Planned(long seed, int join, int leave) {
    int frames() {
      return leave - join;
    }
  }

  /** What one planned session did: its frames, and every slot it was seen in. */
  static final class Played {
    final Planned plan;
    final DialogueEngineTest.Recorder recorder = new DialogueEngineTest.Recorder();
    final List<Integer> slots = new ArrayList<>();
    DialogueSession session;

    Played(Planned plan) {
      this.plan = plan;
    }
  }

  private final Map<String, List<OutputFrame>> soloCache = new HashMap<>();

  /** What the session's input, cut to the frames it sent, gives alone (cached per input). */
  List<OutputFrame> alone(Planned p) throws Exception {
    String key = p.seed() + "/" + p.frames();
    List<OutputFrame> cached = soloCache.get(key);
    if (cached == null) {
      cached = DialogueEngineTest.solo(input(p.seed(), p.frames()), p.frames());
      soloCache.put(key, cached);
    }
    return cached;
  }

  /**
   * Runs {@code plan} on an engine of {@code slots} slots, one tick at a time: sessions due to
   * leave close, sessions due to join open, every open session sends its next frame, and the tick
   * ends once each has had it stepped. Returns the sessions, having checked the arrays held.
   */
  static List<Played> run(List<Planned> plan, int slots) throws Exception {
    List<Played> played = new ArrayList<>();
    for (Planned p : plan) {
      played.add(new Played(p));
    }
    int lastTick = plan.stream().mapToInt(Planned::leave).max().orElse(0);
    Set<Long> arraysAtTickEnd = new HashSet<>();
    try (DialogueEngine engine =
        new DialogueEngine(DialogueEngineTest.model, slots, 64, EngineObserver.NONE)) {
      for (int tick = 0; tick <= lastTick; tick++) {
        for (Played s : played) {
          if (s.plan.leave() == tick) {
            // Its last frame is stepped, but its output may still be on its way: a close now
            // would drop it, as it does for a client that hangs up.
            s.recorder.await(s.plan.frames() - 1);
            s.session.close();
          }
        }
        for (Played s : played) {
          if (s.plan.join() == tick) {
            s.session = engine.open(DialogueOptions.greedy(), s.recorder);
          }
        }
        List<Played> live = new ArrayList<>();
        for (Played s : played) {
          if (s.plan.join() <= tick && tick < s.plan.leave()) {
            int f = tick - s.plan.join();
            float[] pcm = input(s.plan.seed(), s.plan.frames());
            s.session.offerAudio(pcm, f * 1920, 1920);
            live.add(s);
          }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (Played s : live) {
          long want = tick - s.plan.join() + 1;
          while (s.session.framesConsumed() < want) {
            assertThat(System.nanoTime()).as("frame %d stepped in time", want).isLessThan(deadline);
            Thread.sleep(1);
          }
          s.slots.add(s.session.slot());
        }
        if (!live.isEmpty()) {
          arraysAtTickEnd.add((long) DialogueEngineTest.model.manager().getManagedArrays().size());
        }
      }
      assertThat(engine.activeSessions()).isZero();
    }
    assertThat(arraysAtTickEnd).as("native arrays held at the end of each tick").hasSize(1);
    return played;
  }

  void assertEachAsAlone(List<Played> played) throws Exception {
    for (Played s : played) {
      s.recorder.await(s.plan.frames() - 1);
      assertThat(s.recorder.closed.get(10, TimeUnit.SECONDS)).as("closed normally").isEmpty();
      assertSameTokens(alone(s.plan), s.recorder.frames);
    }
  }

  @Test
  void aSessionThatMovesDownMidStreamGetsExactlyWhatItGetsAlone() throws Exception {
    Planned a = new Planned(31, 0, 9);
    Planned b = new Planned(32, 0, 5);
    Planned c = new Planned(33, 0, FRAMES);
    List<Played> played = run(List.of(a, b, c), 3);
    Played moved = played.get(2);
    // b left slot 1 at tick 5, a left slot 0 at tick 9: c went 2 → 1 → 0
    assertThat(moved.slots.get(0)).isEqualTo(2);
    assertThat(moved.slots.get(moved.slots.size() - 1)).isEqualTo(0);
    assertThat(new HashSet<>(moved.slots)).containsExactlyInAnyOrder(0, 1, 2);
    assertEachAsAlone(played);
  }

  @Test
  void sessionsLeavingInVariousOrdersKeepTheirStreams() throws Exception {
    int[][] orders = {{0, 1, 2, 3}, {3, 2, 1, 0}, {1, 3, 0, 2}, {2, 0, 3, 1}};
    for (int[] order : orders) {
      List<Planned> plan = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        // session order[k] leaves k-th, two ticks apart; all have 4+ frames of history by then
        int rank = indexOf(order, i);
        plan.add(new Planned(40 + i, 0, 4 + 2 * rank));
      }
      List<Played> played = run(plan, 4);
      assertEachAsAlone(played);
    }
  }

  /**
   * Random schedules: up to 6 sessions of 2–12 frames join at random ticks of a 4-slot engine
   * (whenever a slot is free) and leave when their input ends.
   */
  @Test
  void randomJoinsAndLeavesNeverChangeASessionsTokens() throws Exception {
    int moved = 0;
    for (long seed = 1; seed <= 5; seed++) {
      SplittableRandom r = new SplittableRandom(seed);
      List<Planned> plan = new ArrayList<>();
      int[] liveAt = new int[64];
      int sessions = 4 + r.nextInt(3);
      while (plan.size() < sessions) {
        int join = r.nextInt(10);
        int leave = join + 2 + r.nextInt(11);
        boolean fits = true;
        for (int t = join; t < leave; t++) {
          fits &= liveAt[t] < 4;
        }
        if (fits) {
          for (int t = join; t < leave; t++) {
            liveAt[t]++;
          }
          plan.add(new Planned(100 * seed + plan.size(), join, leave));
        }
      }
      List<Played> played = run(plan, 4);
      assertEachAsAlone(played);
      soloCache.clear();
      moved += (int) played.stream().filter(p -> new HashSet<>(p.slots).size() > 1).count();
    }
    assertThat(moved).as("sessions that changed slot over the schedules").isPositive();
  }

  private static int indexOf(int[] a, int v) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == v) {
        return i;
      }
    }
    throw new IllegalArgumentException();
  }
}
