package dev.parley.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.client.testing.FakeParleyServer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The Flow variant: events only as the subscriber asks, then Ended and onComplete. */
class ConversationPublisherTest {

  /** Asks for events only when told to. */
  static final class ManualSubscriber implements Flow.Subscriber<ConversationEvent> {
    final List<ConversationEvent> events = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();
    final CountDownLatch completed = new CountDownLatch(1);
    volatile Flow.Subscription subscription;

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
    }

    @Override
    public void onNext(ConversationEvent e) {
      events.add(e);
    }

    @Override
    public void onError(Throwable t) {
      error.set(t);
      completed.countDown();
    }

    @Override
    public void onComplete() {
      completed.countDown();
    }
  }

  @Test
  void eventsFlowOnlyAsFastAsTheSubscriberAsks() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.echo();
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      ManualSubscriber s = new ManualSubscriber();
      Conversation c = client.converse(ConversationOptions.defaults(), s);
      // 10 chunks of one 80 ms frame each: the echo answers each with audio + text = 21 events with
      // the session.
      for (int i = 0; i < 10; i++) {
        c.sendAudio(new byte[3840]);
      }
      c.endInput();
      Thread.sleep(300); // the server has answered everything by now; nothing was asked for
      assertThat(s.events).isEmpty();

      s.subscription.request(3);
      waitFor(() -> s.events.size() == 3);
      Thread.sleep(200);
      assertThat(s.events).hasSize(3); // not one more than asked
      assertThat(s.events.get(0)).isInstanceOf(ConversationEvent.Session.class);
      assertThat(s.events.get(1)).isInstanceOf(ConversationEvent.Audio.class);
      assertThat(s.events.get(2)).isInstanceOf(ConversationEvent.Text.class);

      s.subscription.request(Long.MAX_VALUE);
      assertThat(s.completed.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(s.error.get()).isNull();
      assertThat(s.events).hasSize(1 + 10 * 2 + 1);
      assertThat(s.events.get(s.events.size() - 1))
          .isInstanceOfSatisfying(
              ConversationEvent.Ended.class, e -> assertThat(e.end().getFrames()).isEqualTo(10));
    }
  }

  @Test
  void failuresArriveAsOnErrorEvenBeforeAnyDemand() throws Exception {
    try (FakeParleyServer server =
            new FakeParleyServer(new FakeParleyServer.EchoDialogue(), "secret");
        ParleyClient client = ParleyClient.builder().target(server.target()).build()) {
      ManualSubscriber s = new ManualSubscriber();
      client.converse(ConversationOptions.defaults(), s);
      assertThat(s.completed.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(s.error.get())
          .isInstanceOfSatisfying(
              ParleyException.class, e -> assertThat(e.code()).isEqualTo("UNAUTHENTICATED"));
      assertThat(s.events).isEmpty();
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 10 s");
      }
      Thread.sleep(10);
    }
  }
}
