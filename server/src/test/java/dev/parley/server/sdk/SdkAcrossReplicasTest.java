package dev.parley.server.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.parley.client.Conversation;
import dev.parley.client.ConversationListener;
import dev.parley.client.ConversationOptions;
import dev.parley.client.ParleyClient;
import dev.parley.client.ParleyException;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SDK given two replicas ("a:port,b:port"): a session refused because one replica is full or
 * draining is retried on the other; with both full the caller gets the "server full" error. Two
 * real servers on loopback. Sessions are opened one after the other: round_robin sends the retry to
 * the next server, which under concurrent opens may be the full one again.
 */
class SdkAcrossReplicasTest {
  static SpeechModel model;

  @BeforeAll
  static void load() {
    model = DemoModel.build(Device.cpu());
  }

  @AfterAll
  static void unload() {
    model.close();
  }

  private static ParleyServer server(int slots) throws Exception {
    return new ParleyServer(
            model,
            null,
            null,
            ServerConfig.defaults()
                .withHost("127.0.0.1")
                .withPort(0)
                .withGrpcPort(0)
                .withMaxSessions(slots)
                .withDrainTime(Duration.ofSeconds(1)))
        .start();
  }

  /**
   * A client balanced over {@code servers}, its connections to each up (round_robin picks only
   * among connected servers).
   */
  private static ParleyClient client(ParleyServer... servers) {
    StringBuilder t = new StringBuilder();
    for (ParleyServer s : servers) {
      t.append(t.length() == 0 ? "" : ",").append("127.0.0.1:").append(s.grpcPort());
    }
    ParleyClient c = ParleyClient.builder().target(t.toString()).build();
    for (int i = 0; i < 2 * servers.length; i++) {
      assertThat(c.models()).isNotEmpty();
    }
    return c;
  }

  /** Opens a conversation and sends one frame, so that its server claims a slot. */
  private static Conversation open(ParleyClient client) {
    Conversation c = client.converse(ConversationOptions.defaults(), new ConversationListener() {});
    c.sendAudio(new float[1920]);
    return c;
  }

  private static void waitFor(BooleanSupplier cond) throws InterruptedException {
    long end = System.currentTimeMillis() + 20_000;
    while (!cond.getAsBoolean() && System.currentTimeMillis() < end) {
      Thread.sleep(10);
    }
  }

  @Test
  void sessionsGoToTheReplicaThatCanTakeThem() throws Exception {
    ParleyServer a = server(1);
    ParleyServer b = server(4);
    try (ParleyClient direct = ParleyClient.builder().target("127.0.0.1", a.grpcPort()).build();
        ParleyClient both = client(a, b)) {
      // a is full: every new session through the balanced client lands on b.
      Conversation holder = open(direct);
      waitFor(() -> a.engine().activeSessions() == 1);
      assertThat(a.engine().activeSessions()).isEqualTo(1);
      List<Conversation> sessions = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        sessions.add(open(both));
        int n = i + 1;
        waitFor(() -> b.engine().activeSessions() == n);
      }
      assertThat(b.engine().activeSessions()).as("all three on b").isEqualTo(3);
      assertThat(a.engine().activeSessions()).isEqualTo(1);
      for (Conversation c : sessions) {
        assertThat(c.isDone()).as("no session failed").isFalse();
        c.cancel();
      }
      holder.cancel();
      waitFor(() -> a.engine().activeSessions() + b.engine().activeSessions() == 0);

      // a is draining (its slot free): new sessions still land on b.
      a.drain();
      sessions.clear();
      for (int i = 0; i < 3; i++) {
        sessions.add(open(both));
        int n = i + 1;
        waitFor(() -> b.engine().activeSessions() == n);
      }
      assertThat(b.engine().activeSessions()).isEqualTo(3);
      assertThat(a.engine().activeSessions()).isZero();
      for (Conversation c : sessions) {
        assertThat(c.isDone()).isFalse();
        c.cancel();
      }
    } finally {
      a.close();
      b.close();
    }
  }

  @Test
  void bothFullGivesTheCallerTheFullError() throws Exception {
    ParleyServer a = server(1);
    ParleyServer b = server(1);
    try (ParleyClient toA = ParleyClient.builder().target("127.0.0.1", a.grpcPort()).build();
        ParleyClient toB = ParleyClient.builder().target("127.0.0.1", b.grpcPort()).build();
        ParleyClient both = client(a, b)) {
      Conversation onA = open(toA);
      Conversation onB = open(toB);
      waitFor(() -> a.engine().activeSessions() == 1 && b.engine().activeSessions() == 1);
      Conversation refused = open(both);
      assertThatThrownBy(() -> refused.awaitEnd(Duration.ofSeconds(20)))
          .isInstanceOf(ParleyException.class)
          .satisfies(e -> assertThat(((ParleyException) e).code()).isEqualTo("RESOURCE_EXHAUSTED"))
          .hasMessageContaining("server full");
      assertThat(onA.isDone()).isFalse();
      assertThat(onB.isDone()).isFalse();
      onA.cancel();
      onB.cancel();
    } finally {
      a.close();
      b.close();
    }
  }
}
