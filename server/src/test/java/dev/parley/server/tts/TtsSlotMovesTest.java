package dev.parley.server.tts;

import static dev.parley.server.tts.TtsEngineDemoTest.seeded;
import static dev.parley.server.tts.TtsEngineDemoTest.voice;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.server.tts.TtsEngineTest.Recorder;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A synthesis whose lower neighbours finish moves down into their slots with its whole state
 * (conditions, cross-attention keys/values, KV caches, token ring, sampler, Mimi decoder) and
 * speaks exactly as it does alone.
 */
class TtsSlotMovesTest {
  static SynthesisModel demo;
  static SynthesisModel classic;

  @BeforeAll
  static void load() {
    demo = SynthesisModel.demo(Device.cpu());
    classic = SynthesisModel.demo(Device.cpu(), /* classicCfg= */ true);
  }

  @AfterAll
  static void close() {
    demo.close();
    classic.close();
  }

  static final String LONG = "one two three four five six seven eight nine ten eleven twelve";

  @Test
  void aSynthesisThatMovesDownSpeaksAsItDoesAlone() throws Exception {
    movesDownAndSpeaksAsAlone(demo);
  }

  /** With classic CFG each session has two rows of the batch: both move with it. */
  @Test
  void aClassicCfgSynthesisThatMovesDownSpeaksAsItDoesAlone() throws Exception {
    assertThat(classic.config().validCfgValues()).isEmpty();
    movesDownAndSpeaksAsAlone(classic);
  }

  private static void movesDownAndSpeaksAsAlone(SynthesisModel demo) throws Exception {
    float[] alone;
    try (TtsEngine engine = new TtsEngine(demo, TtsSettings.of(demo), 1)) {
      Recorder r = new Recorder();
      engine.synthesize(List.of(LONG), seeded(301).withVoices(List.of(voice(1))), r);
      assertThat(r.awaitClosed()).isEmpty();
      alone = r.pcm();
    }
    Set<Integer> slotsSeen = ConcurrentHashMap.newKeySet();
    Recorder moved = new Recorder();
    try (TtsEngine engine = new TtsEngine(demo, TtsSettings.of(demo), 3)) {
      Recorder a = new Recorder();
      Recorder b = new Recorder();
      engine.synthesize(List.of("hi"), seeded(302).withVoices(List.of(voice(0))), a);
      engine.synthesize(List.of("so short"), seeded(303).withVoices(List.of(voice(1))), b);
      TtsSession s =
          engine.synthesize(List.of(LONG), seeded(301).withVoices(List.of(voice(1))), moved);
      while (!moved.closed.isDone()) {
        slotsSeen.add(s.slot());
        Thread.sleep(1);
      }
      assertThat(a.awaitClosed()).isEmpty();
      assertThat(b.awaitClosed()).isEmpty();
      assertThat(moved.awaitClosed()).isEmpty();
    }
    assertThat(slotsSeen).as("slots the long synthesis was in").contains(2, 0);
    float[] pcm = moved.pcm();
    assertThat(pcm.length).isEqualTo(alone.length);
    double err = 0;
    for (int j = 0; j < pcm.length; j++) {
      err = Math.max(err, Math.abs(pcm[j] - alone[j]));
    }
    // as TtsEngineDemoTest: the same tokens; PCM equal to the float rounding of another batch size
    assertThat(err).as("max abs difference from the synthesis alone").isLessThan(1e-4);
  }
}
