package dev.parley.server.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.parley.codec.torch.TorchRuntime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shared loop with a step of its own over a real libtorch array: shutdown during a slow step
 * never frees what the step still uses, a failing step or listener closes only its sessions, and
 * sessions end once with the right reason.
 */
class EngineLoopTest {
  @BeforeAll
  static void torch() {
    TorchRuntime.engine();
  }

  static final class TestSession extends EngineSession {
    final List<String> closed = new CopyOnWriteArrayList<>();
    volatile boolean ready = true;

    TestSession(int slot) {
      super(slot);
    }

    @Override
    protected void notifyClosed(String reason) {
      closed.add(String.valueOf(reason));
    }
  }

  /** Each step adds 1 to every stepping slot's row of a native array; a latch can hold a step. */
  static final class CountingStep implements BatchStep<TestSession> {
    final NDManager manager = TorchRuntime.newManager();
    final NDArray state;
    final CountDownLatch entered = new CountDownLatch(1);
    volatile CountDownLatch hold = new CountDownLatch(0);
    volatile RuntimeException failWith;
    final List<Throwable> stepErrors = new CopyOnWriteArrayList<>();
    volatile float[] lastRead;
    volatile boolean releasedWhileStepping;
    volatile boolean stepping;

    CountingStep(int slots) {
      state = manager.zeros(new ai.djl.ndarray.types.Shape(slots));
    }

    @Override
    public void start(TestSession session) {}

    final List<int[]> moves = new CopyOnWriteArrayList<>();

    @Override
    public void move(int from, int to) {
      moves.add(new int[] {from, to});
    }

    @Override
    public Turn select(TestSession session, long nowNanos) {
      return session.ready ? Turn.STEP : Turn.IDLE;
    }

    final List<Integer> batchLengths = new CopyOnWriteArrayList<>();

    @Override
    public void step(TestSession[] batch) {
      batchLengths.add(batch.length);
      stepping = true;
      try {
        entered.countDown();
        hold.await(30, TimeUnit.SECONDS);
        if (failWith != null) {
          throw failWith;
        }
        float[] add = new float[Math.toIntExact(state.size())]; // slots past the batch: 0
        for (int s = 0; s < batch.length; s++) {
          add[s] = batch[s] == null ? 0 : 1;
        }
        try (NDArray inc = manager.create(add)) {
          state.addi(inc); // native memory the step still uses after a slow start
        }
        lastRead = state.toFloatArray();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (IllegalStateException e) {
        stepErrors.add(e); // "Native resource has been release already"
        throw e;
      } finally {
        stepping = false;
      }
    }

    @Override
    public void release() {
      releasedWhileStepping |= stepping;
      manager.close();
    }
  }

  static EngineLoop<TestSession> loop(CountingStep step, int slots) {
    return new EngineLoop<>(
            "test-engine",
            slots,
            TestSession[]::new,
            EngineObserver.NONE,
            EngineLoop.Pacing.AS_FAST_AS_POSSIBLE)
        .start(step);
  }

  @Test
  void shutdownDuringASlowStepFreesNativeStateOnlyAfterTheStep() throws Exception {
    CountingStep step = new CountingStep(2);
    step.hold = new CountDownLatch(1);
    EngineLoop<TestSession> loop = loop(step, 2);
    TestSession a = loop.open(TestSession::new);
    assertThat(step.entered.await(10, TimeUnit.SECONDS)).isTrue();

    // The step is held mid-way; shutdown stops waiting for it after 100 ms.
    CompletableFuture<Void> stopped =
        CompletableFuture.runAsync(() -> loop.shutdown("going down", Duration.ofMillis(100)));
    stopped.get(10, TimeUnit.SECONDS);
    assertThat(a.closed).containsExactly("going down");
    assertThat(loop.isAlive()).as("the step is still running").isTrue();
    assertThat(step.state.isReleased()).as("native state kept while its step runs").isFalse();

    step.hold.countDown();
    assertThat(loop.awaitTermination(Duration.ofSeconds(10))).isTrue();
    assertThat(step.stepErrors).as("the step never touched freed memory").isEmpty();
    assertThat(step.lastRead).containsExactly(1f, 0f);
    assertThat(step.releasedWhileStepping).isFalse();
    assertThat(step.state.isReleased()).as("freed once the loop ended").isTrue();
  }

  @Test
  void aFailingStepClosesOnlyItsSessionsAndTheLoopGoesOn() throws Exception {
    CountingStep step = new CountingStep(3);
    step.hold = new CountDownLatch(1);
    EngineLoop<TestSession> loop = loop(step, 3);
    TestSession a = loop.open(TestSession::new);
    // Not ready from its first moment, so it can never be in the step that fails.
    TestSession idle =
        loop.open(
            slot -> {
              TestSession t = new TestSession(slot);
              t.ready = false;
              return t;
            });
    assertThat(step.entered.await(10, TimeUnit.SECONDS)).isTrue();
    step.failWith = new IllegalArgumentException("shape mismatch");
    step.hold.countDown();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (a.closed.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(a.closed).containsExactly("internal error: shape mismatch");
    assertThat(idle.isClosed()).isFalse();
    step.failWith = null;
    idle.ready = true;
    loop.wakeUp();
    long steps = loop.steps();
    while (loop.steps() == steps && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(loop.steps()).as("the loop steps on").isGreaterThan(steps);
    loop.shutdown("bye");
    assertThat(idle.closed).containsExactly("bye");
    assertThat(loop.awaitTermination(Duration.ofSeconds(10))).isTrue();
  }

  @Test
  void aFailingListenerClosesOnlyItsSessionAndASessionEndsOnce() throws Exception {
    CountingStep step = new CountingStep(2);
    EngineLoop<TestSession> loop = loop(step, 2);
    TestSession a = loop.open(TestSession::new);
    TestSession b = loop.open(TestSession::new);
    assertThat(
            loop.deliver(
                a,
                () -> {
                  throw new IllegalStateException("listener broke");
                }))
        .isFalse();
    assertThat(a.closed).containsExactly("internal error: listener broke");
    assertThat(loop.deliver(a, () -> {})).as("nothing is delivered to a closed session").isFalse();
    assertThat(loop.deliver(b, () -> {})).isTrue();
    loop.close(b, null);
    loop.close(b, "again");
    assertThat(b.closed).containsExactly("null");
    assertThat(loop.activeSessions()).isZero();
    loop.shutdown("bye");
    assertThat(loop.awaitTermination(Duration.ofSeconds(10))).isTrue();
  }

  @Test
  void sessionsMoveDownIntoFreedSlotsAndAStepCoversOnlyTheRowsUpToTheLastThatSteps()
      throws Exception {
    CountingStep step = new CountingStep(4);
    EngineLoop<TestSession> loop = loop(step, 4);
    TestSession a = loop.open(TestSession::new);
    TestSession b = loop.open(TestSession::new);
    TestSession c = loop.open(TestSession::new);
    TestSession d = loop.open(TestSession::new);
    awaitSteps(loop, 3);
    assertThat(step.batchLengths).contains(4);
    a.ready = false;
    b.ready = false;
    loop.close(a, null);
    loop.close(b, null);
    awaitSteps(loop, 3);
    // slot 0 freed: d (the highest) moved into it; slot 1 freed: c moved into it
    assertThat(step.moves).extracting(m -> m[0] + "→" + m[1]).containsExactly("3→0", "2→1");
    assertThat(d.slot()).isZero();
    assertThat(c.slot()).isEqualTo(1);
    assertThat(step.batchLengths.get(step.batchLengths.size() - 1)).isEqualTo(2);
    // c sits out: the step covers slot 0 only
    c.ready = false;
    awaitSteps(loop, 3);
    assertThat(step.batchLengths.get(step.batchLengths.size() - 1)).isEqualTo(1);
    // a moved session closes like any other (its slot is looked up under the lock)
    loop.close(d, "done");
    assertThat(d.closed).containsExactly("done");
    assertThat(loop.activeSessions()).isEqualTo(1);
    TestSession e = loop.open(TestSession::new);
    assertThat(e.slot()).as("the lowest free slot").isIn(0, 1);
    loop.shutdown("bye");
    assertThat(c.closed).containsExactly("bye");
    assertThat(loop.awaitTermination(Duration.ofSeconds(10))).isTrue();
  }

  private static void awaitSteps(EngineLoop<?> loop, int more) throws InterruptedException {
    long target = loop.steps() + more;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (loop.steps() < target) {
      assertThat(System.nanoTime()).as("steps in time").isLessThan(deadline);
      Thread.sleep(1);
    }
  }
}
