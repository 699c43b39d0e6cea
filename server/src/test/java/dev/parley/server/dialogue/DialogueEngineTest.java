package dev.parley.server.dialogue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.engine.EngineObserver;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The batched engine on the demo model: order, batching invariance, limits. */
class DialogueEngineTest {
  static SpeechModel model;

  @BeforeAll
  static void load() {
    model = DemoModel.build(Device.cpu());
  }

  @AfterAll
  static void close() {
    model.close();
  }

  /** Collects a session's frames and its end. */
  static final class Recorder implements DialogueListener {
    final List<OutputFrame> frames = new CopyOnWriteArrayList<>();
    final CompletableFuture<String> closed = new CompletableFuture<>();
    volatile int expected = Integer.MAX_VALUE;
    final CompletableFuture<Void> done = new CompletableFuture<>();

    @Override
    public void onFrame(OutputFrame frame) {
      frames.add(frame);
      if (frames.size() >= expected) {
        done.complete(null);
      }
    }

    @Override
    public void onClosed(String reason) {
      closed.complete(reason == null ? "" : reason);
    }

    void await(int n) throws Exception {
      expected = n;
      if (frames.size() >= n) {
        return;
      }
      done.get(60, TimeUnit.SECONDS);
    }
  }

  /** Speech-like input: noise bursts with a per-session seed, 1920 samples per frame. */
  static float[] input(long seed, int frames) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] pcm = new float[frames * 1920];
    for (int i = 0; i < pcm.length; i++) {
      double env = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * i / 24000.0);
      pcm[i] = (float) (0.2 * env * r.nextGaussian());
    }
    return pcm;
  }

  /** What a session produces when it is alone on an engine. */
  static List<OutputFrame> solo(float[] pcm, int frames) throws Exception {
    try (DialogueEngine engine = new DialogueEngine(model, 1, 64, EngineObserver.NONE)) {
      Recorder r = new Recorder();
      DialogueSession s = engine.open(DialogueOptions.greedy(), r);
      s.offerAudio(pcm, 0, pcm.length);
      r.await(frames - 1);
      return new ArrayList<>(r.frames);
    }
  }

  @Test
  void eachInputFrameAfterTheFirstYieldsOneOutputFrame() throws Exception {
    try (DialogueEngine engine = new DialogueEngine(model, 2, 64, EngineObserver.NONE)) {
      Recorder r = new Recorder();
      DialogueSession s = engine.open(DialogueOptions.defaults(1), r);
      float[] pcm = input(1, 10);
      // Pieces of odd sizes, as a network delivers them.
      for (int off = 0; off < pcm.length; off += 777) {
        s.offerAudio(pcm, off, Math.min(777, pcm.length - off));
      }
      r.await(9); // the first LM step only fills the acoustic delay
      Thread.sleep(200);
      assertThat(r.frames).hasSize(9);
      for (int i = 0; i < 9; i++) {
        OutputFrame f = r.frames.get(i);
        assertThat(f.index()).isEqualTo(i);
        assertThat(f.pcm()).hasSize(1920);
        assertThat(f.audioCodes()).hasSize(8);
        assertThat(java.util.Arrays.stream(f.audioCodes()).allMatch(c -> c >= 0 && c < 64))
            .isTrue();
        assertThat(f.latencyNanos()).isPositive();
      }
      s.close();
      assertThat(r.closed.get(5, TimeUnit.SECONDS)).isEmpty();
      assertThat(engine.activeSessions()).isZero();
    }
  }

  @Test
  void sessionsSharingStepsGetExactlyWhatTheyGetAlone() throws Exception {
    int frames = 12;
    float[][] inputs = {input(11, frames), input(12, frames), input(13, frames)};
    Recorder a = new Recorder();
    Recorder b = new Recorder();
    Recorder c = new Recorder();
    try (DialogueEngine engine = new DialogueEngine(model, 4, 64, EngineObserver.NONE)) {
      DialogueSession sa = engine.open(DialogueOptions.greedy(), a);
      DialogueSession sb = engine.open(DialogueOptions.greedy(), b);
      sa.offerAudio(inputs[0], 0, inputs[0].length);
      sb.offerAudio(inputs[1], 0, inputs[1].length / 2);
      a.await(5);
      // c joins while a and b are mid-stream; b's second half arrives late.
      DialogueSession sc = engine.open(DialogueOptions.greedy(), c);
      sc.offerAudio(inputs[2], 0, inputs[2].length);
      sb.offerAudio(inputs[1], inputs[1].length / 2, inputs[1].length - inputs[1].length / 2);
      a.await(frames - 1);
      b.await(frames - 1);
      c.await(frames - 1);
      assertThat(engine.steps()).as("some steps carried several sessions").isLessThan(3L * frames);
    }
    assertSameTokens(solo(inputs[0], frames), a.frames);
    assertSameTokens(solo(inputs[1], frames), b.frames);
    assertSameTokens(solo(inputs[2], frames), c.frames);
  }

  static void assertSameTokens(List<OutputFrame> expected, List<OutputFrame> actual) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < expected.size(); i++) {
      assertThat(actual.get(i).textToken())
          .as("text token of frame %d", i)
          .isEqualTo(expected.get(i).textToken());
      assertThat(actual.get(i).audioCodes())
          .as("audio codes of frame %d", i)
          .containsExactly(expected.get(i).audioCodes());
    }
  }

  @Test
  void oneSessionTooManyIsRefusedAndAFreedSlotIsFresh() throws Exception {
    try (DialogueEngine engine = new DialogueEngine(model, 2, 64, EngineObserver.NONE)) {
      Recorder r1 = new Recorder();
      DialogueSession s1 = engine.open(DialogueOptions.greedy(), r1);
      engine.open(DialogueOptions.greedy(), new Recorder());
      assertThatThrownBy(() -> engine.open(DialogueOptions.greedy(), new Recorder()))
          .isInstanceOf(EngineFullException.class)
          .hasMessageContaining("server full");
      float[] warm = input(5, 6);
      s1.offerAudio(warm, 0, warm.length);
      r1.await(5);
      s1.close();
      Recorder r3 = new Recorder();
      // s3 takes s1's freed slot, or the one s2 left when it moved down into it.
      DialogueSession s3 = engine.open(DialogueOptions.greedy(), r3);
      float[] pcm = input(21, 8);
      s3.offerAudio(pcm, 0, pcm.length);
      r3.await(7);
      assertSameTokens(solo(pcm, 8), r3.frames);
    }
  }

  @Test
  void aClientFasterThanRealTimeIsClosedWithAnError() throws Exception {
    try (DialogueEngine engine = new DialogueEngine(model, 1, 3, EngineObserver.NONE)) {
      Recorder r = new Recorder();
      DialogueSession s = engine.open(DialogueOptions.greedy(), r);
      float[] flood = input(3, 200);
      boolean accepted = true;
      for (int off = 0; off < flood.length && accepted; off += 1920 * 50) {
        accepted = s.offerAudio(flood, off, Math.min(1920 * 50, flood.length - off));
      }
      assertThat(accepted).isFalse();
      assertThat(r.closed.get(5, TimeUnit.SECONDS)).contains("input overflow");
      assertThat(engine.activeSessions()).isZero();
    }
  }

  /**
   * Shutting down while sessions stream, at a different moment each time: every session is told
   * why, none sees an internal error (a step touching freed state would fail), and every array the
   * engine made is freed once its loop has ended.
   */
  @Test
  void shutdownWhileSessionsStreamClosesThemAndFreesEveryArrayAfterTheLastStep() throws Exception {
    long arrays0 = model.manager().getManagedArrays().size();
    for (int round = 0; round < 4; round++) {
      DialogueEngine engine = new DialogueEngine(model, 4, 1000, EngineObserver.NONE);
      List<Recorder> recorders = new ArrayList<>();
      List<DialogueSession> sessions = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Recorder r = new Recorder();
        recorders.add(r);
        sessions.add(engine.open(DialogueOptions.greedy(), r));
      }
      float[] pcm = input(round, 40);
      Thread feeder =
          new Thread(
              () -> {
                for (int f = 0; f < 40; f++) {
                  for (DialogueSession s : sessions) {
                    s.offerAudio(pcm, f * 1920, 1920);
                  }
                  try {
                    Thread.sleep(2);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              });
      feeder.start();
      long stepsBefore = 3 + 2L * round;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (engine.steps() < stepsBefore && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      engine.shutdown("server shutting down");
      feeder.join();
      for (Recorder r : recorders) {
        assertThat(r.closed.get(10, TimeUnit.SECONDS)).isEqualTo("server shutting down");
      }
      assertThat(engine.awaitTermination(java.time.Duration.ofSeconds(10))).isTrue();
      assertThat((long) model.manager().getManagedArrays().size())
          .as("arrays after round %d", round)
          .isEqualTo(arrays0);
      assertThatThrownBy(() -> engine.open(DialogueOptions.greedy(), new Recorder()))
          .isInstanceOf(IllegalStateException.class);
    }
  }
}
