package dev.parley.server.tts;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.server.tts.TtsEngineTest.Recorder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine with the built-in {@code demo-tts} model: streamed text that runs dry, batched
 * sessions against solo runs, fewer codebooks, and native memory over many sessions.
 */
class TtsEngineDemoTest {
  static SynthesisModel demo;

  @BeforeAll
  static void load() {
    demo = SynthesisModel.demo(Device.cpu());
  }

  @AfterAll
  static void close() {
    demo.close();
  }

  static TtsOptions seeded(long seed) {
    return TtsOptions.defaults().withSampling(0.8f, seed);
  }

  @Test
  void starvedStreamPadsWhilePlaybackWouldRunDryThenRecovers() throws Exception {
    try (TtsEngine engine = new TtsEngine(demo, TtsSettings.of(demo).withUnderrunLead(0.3), 2)) {
      Recorder r = new Recorder();
      TtsSession s = engine.open(seeded(7), r);
      s.pushText("one two three four five ");
      // The first words come out, then the text runs dry: the audio must keep flowing in real
      // time (pads), not stop and not end.
      long t0 = System.nanoTime();
      while (r.frames.size() < 20 && System.nanoTime() - t0 < 20_000_000_000L) {
        Thread.sleep(10);
      }
      int before = r.frames.size();
      Thread.sleep(3000);
      int during = r.frames.size() - before;
      assertThat(r.closed).isNotDone();
      // About 12.5 frames a second are needed to keep playback fed; with no text the engine
      // neither stops nor races ahead.
      assertThat(during).as("frames sent while starved for 3 s").isBetween(15, 120);
      s.pushText("six seven eight");
      s.endOfText();
      assertThat(r.awaitClosed()).isEmpty();
      assertThat(r.summary.starvedSteps()).isPositive();
      assertThat(r.words)
          .extracting(TtsWord::text)
          .containsExactly("one", "two", "three", "four", "five", "six", "seven", "eight");
      for (int i = 1; i < r.words.size(); i++) {
        assertThat(r.words.get(i).startSeconds())
            .isGreaterThanOrEqualTo(r.words.get(i - 1).endSeconds());
      }
      assertThat(r.words.get(r.words.size() - 1).endSeconds())
          .isLessThanOrEqualTo(r.frames.size() / 12.5);
    }
  }

  @Test
  void batchedSessionsGiveWhatEachGivesAlone() throws Exception {
    String[] texts = {
      "the quick brown fox", "jumps over the lazy dog", "a b c d e f g", "hello world again"
    };
    List<float[]> alone = new ArrayList<>();
    try (TtsEngine engine = new TtsEngine(demo, TtsSettings.of(demo), 1)) {
      for (int i = 0; i < texts.length; i++) {
        Recorder r = new Recorder();
        engine.synthesize(
            List.of(texts[i]), seeded(100 + i).withVoices(List.of(TtsEngineDemoTest.voice(i))), r);
        assertThat(r.awaitClosed()).isEmpty();
        alone.add(r.pcm());
      }
    }
    try (TtsEngine engine = new TtsEngine(demo, TtsSettings.of(demo), 4)) {
      List<Recorder> rs = new ArrayList<>();
      for (int i = 0; i < texts.length; i++) {
        Recorder r = new Recorder();
        rs.add(r);
        engine.synthesize(List.of(texts[i]), seeded(100 + i).withVoices(List.of(voice(i))), r);
      }
      for (int i = 0; i < texts.length; i++) {
        assertThat(rs.get(i).awaitClosed()).isEmpty();
        float[] pcm = rs.get(i).pcm();
        assertThat(pcm.length).as("session %d samples", i).isEqualTo(alone.get(i).length);
        double err = 0;
        for (int j = 0; j < pcm.length; j++) {
          err = Math.max(err, Math.abs(pcm[j] - alone.get(i)[j]));
        }
        assertThat(err).as("session %d max abs difference", i).isLessThan(1e-4);
      }
    }
  }

  static String voice(int i) {
    return SynthesisModel.DEMO_VOICES.get(i % 2);
  }

  @Test
  void aVoiceUsedAgainGetsItsCachedConditionsAndTheSameAudio() throws Exception {
    try (TtsEngine engine = new TtsEngine(demo, TtsSettings.of(demo), 1)) {
      List<float[]> pcm = new ArrayList<>();
      for (String v : List.of("demo-alto", "demo-bass", "demo-alto", "demo-bass")) {
        Recorder r = new Recorder();
        engine.synthesize(List.of("the same words again"), seeded(9).withVoices(List.of(v)), r);
        assertThat(r.awaitClosed()).isEmpty();
        pcm.add(r.pcm());
      }
      // The first two compute their conditions, the last two copy them from the cache.
      assertThat(pcm.get(2)).containsExactly(pcm.get(0));
      assertThat(pcm.get(3)).containsExactly(pcm.get(1));
      assertThat(pcm.get(1)).isNotEqualTo(pcm.get(0));
    }
  }

  @Test
  void fewerCodebooksStillSpeakEveryWord() throws Exception {
    try (TtsEngine engine = new TtsEngine(demo, TtsSettings.of(demo).withCodebooks(4), 1)) {
      Recorder r = new Recorder();
      engine.synthesize(List.of("fewer codebooks here"), seeded(3), r);
      assertThat(r.awaitClosed()).isEmpty();
      assertThat(r.words).hasSize(3);
      assertThat(r.frames).isNotEmpty();
      assertThat(r.pcm())
          .as("audio is not silent")
          .matches(
              p -> {
                double e = 0;
                for (float x : p) {
                  e += x * x;
                }
                return e > 0;
              });
    }
  }

  @Test
  void manySessionsLeaveNoArraysBehind() throws Exception {
    long arrays0 = demo.manager().getManagedArrays().size();
    try (TtsEngine engine = new TtsEngine(demo, TtsSettings.of(demo), 3)) {
      long arrays1 = -1;
      for (int wave = 0; wave < 6; wave++) {
        List<Recorder> rs = new ArrayList<>();
        List<TtsSession> ss = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          Recorder r = new Recorder();
          rs.add(r);
          ss.add(
              engine.synthesize(
                  List.of("wave " + wave + " session " + i + " says a few words"),
                  seeded(wave),
                  r));
        }
        if (wave % 2 == 1) {
          while (rs.get(0).frames.size() < 3) {
            Thread.sleep(2);
          }
          ss.get(0).close();
        }
        for (Recorder r : rs) {
          r.awaitClosed();
        }
        long arrays = demo.manager().getManagedArrays().size();
        if (arrays1 < 0) {
          arrays1 = arrays;
        }
        assertThat(arrays).as("arrays after wave %d", wave).isEqualTo(arrays1);
        assertThat(engine.activeSessions()).isZero();
      }
    }
    assertThat((long) demo.manager().getManagedArrays().size())
        .as("after the engine closed")
        .isEqualTo(arrays0);
  }
}
