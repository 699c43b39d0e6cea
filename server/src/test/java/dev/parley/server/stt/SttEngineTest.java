package dev.parley.server.stt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batched transcription engine on the STT demo model: batching invariance, joins, limits. */
class SttEngineTest {
  @TempDir static Path dir;
  static SpeechModel model;
  static float[] speech;

  @BeforeAll
  static void load() throws Exception {
    model = DemoModel.buildStt(Device.cpu());
    speech = SttTestModels.speech(dir);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  /** Session i's input: its own stretch of the speech, 1.5 to 3.4 s, with its own gain. */
  static float[] input(int i) {
    int len = 24000 * 3 / 2 + i * 2900;
    int start = (i * 7919 * 13) % Math.max(1, speech.length - len);
    float gain = 0.6f + 0.05f * i;
    float[] out = new float[len];
    for (int k = 0; k < len; k++) {
      out[k] = gain * speech[(start + k) % speech.length];
    }
    return out;
  }

  /** What a session produces alone on an engine. */
  static Recorder solo(float[] pcm) throws Exception {
    try (SttEngine engine = new SttEngine(model, 1, 1000)) {
      Recorder r = new Recorder();
      SttSession s = engine.open(SttOptions.defaults(), r);
      s.offerAudio(pcm, 0, pcm.length);
      s.endOfInput();
      r.awaitTranscript();
      return r;
    }
  }

  @Test
  void theDemoIsATranscriptionModel() {
    assertThat(model.modelType()).isEqualTo("stt");
    assertThat(model.name()).isEqualTo("demo-stt");
    assertThat(model.lm().config().depQ()).isZero();
    SttSettings s = SttSettings.of(model);
    assertThat(s.prefixFrames()).isEqualTo(13);
    assertThat(s.delayFrames()).isEqualTo(32);
    try (SttEngine engine = new SttEngine(model, 1, 10)) {
      assertThat(engine.pauseHeads()).isEqualTo(4);
    }
    try (SpeechModel dialogue = DemoModel.build(Device.cpu())) {
      assertThatThrownBy(() -> new SttEngine(dialogue, 1, 10))
          .hasMessageContaining("not a transcription model");
    }
  }

  @Test
  void oneSessionStepsPrefixAudioAndFlushThenCloses() throws Exception {
    float[] pcm = input(0);
    Recorder r = solo(pcm);
    int audioFrames = (pcm.length + 1919) / 1920;
    assertThat(r.steps).hasSize(13 + audioFrames + 32);
    for (int i = 0; i < r.steps.size(); i++) {
      assertThat(r.steps.get(i).index()).isEqualTo(i);
      float[] p = r.steps.get(i).pauseProbabilities();
      assertThat(p).hasSize(4);
      for (float x : p) {
        assertThat(x).isBetween(0f, 1f);
      }
    }
    assertThat(r.thread.getName()).isEqualTo("parley-stt-engine");
    // Offline word assembly over the session's own tokens gives the transcript it received.
    assertThat(r.awaitTranscript())
        .isEqualTo(WordAssembler.transcribe(r.tokens(), model.tokenizer(), 12.5, 3.5));
    assertThat(WordAssemblerTest.fromEvents(toEvents(r.wordEvents())))
        .isEqualTo(r.awaitTranscript());
    assertThat(r.closed.get(5, TimeUnit.SECONDS)).isEmpty();
  }

  @Test
  void sixteenConcurrentSessionsGetExactlyWhatEachGetsAlone() throws Exception {
    int n = 16;
    float[][] inputs = new float[n][];
    Recorder[] alone = new Recorder[n];
    for (int i = 0; i < n; i++) {
      inputs[i] = input(i);
      alone[i] = solo(inputs[i]);
    }
    Recorder[] together = new Recorder[n];
    long steps;
    long soloSteps = 0;
    try (SttEngine engine = new SttEngine(model, n, 1000)) {
      List<Thread> clients = new ArrayList<>();
      CountDownLatch firstHalfStarted = new CountDownLatch(n / 2);
      for (int i = 0; i < n; i++) {
        int id = i;
        together[i] = new Recorder();
        Thread t =
            new Thread(
                () -> {
                  try {
                    if (id >= n / 2) {
                      firstHalfStarted
                          .await(); // the second half joins while the first is mid-stream
                      Thread.sleep(30L * (id - n / 2));
                    }
                    SttSession s = engine.open(SttOptions.defaults(), together[id]);
                    SplittableRandom r = new SplittableRandom(id);
                    float[] pcm = inputs[id];
                    int off = 0;
                    while (off < pcm.length) {
                      int len = Math.min(pcm.length - off, 200 + r.nextInt(4000));
                      s.offerAudio(pcm, off, len);
                      off += len;
                      if (off > pcm.length / 3) {
                        firstHalfStarted.countDown();
                      }
                      Thread.sleep(r.nextInt(15));
                    }
                    s.endOfInput();
                  } catch (Exception e) {
                    together[id].transcript.completeExceptionally(e);
                  }
                });
        clients.add(t);
        t.start();
      }
      for (int i = 0; i < n; i++) {
        together[i].awaitTranscript();
        assertThat(together[i].closed.get(10, TimeUnit.SECONDS))
            .isEmpty(); // onClosed follows the transcript
        soloSteps += together[i].steps.size();
      }
      for (Thread t : clients) {
        t.join();
      }
      steps = engine.steps();
      assertThat(engine.activeSessions()).isZero();
    }
    assertThat(steps).as("steps carried several sessions").isLessThan(soloSteps / 3);
    int words = 0;
    double maxPauseDiff = 0;
    boolean exact = true;
    for (int i = 0; i < n; i++) {
      assertThat(together[i].tokens())
          .as("tokens of session %d", i)
          .containsExactly(alone[i].tokens());
      assertThat(together[i].wordEvents())
          .as("word events of session %d", i)
          .isEqualTo(alone[i].wordEvents());
      assertThat(together[i].awaitTranscript())
          .as("transcript of session %d", i)
          .isEqualTo(alone[i].awaitTranscript());
      for (int s = 0; s < alone[i].steps.size(); s++) {
        float[] a = alone[i].steps.get(s).pauseProbabilities();
        float[] b = together[i].steps.get(s).pauseProbabilities();
        for (int h = 0; h < a.length; h++) {
          maxPauseDiff = Math.max(maxPauseDiff, Math.abs(a[h] - b[h]));
          exact &= Float.floatToIntBits(a[h]) == Float.floatToIntBits(b[h]);
        }
      }
      words += alone[i].awaitTranscript().size();
    }
    double stepMs =
        together[0].steps.stream().mapToLong(SttStep::stepNanos).average().orElse(0) / 1e6;
    System.out.printf(
        "16 concurrent sessions: %d engine steps for %d session steps (session 0's steps %.1f ms on "
            + "average), %d words in all; pause probabilities bit-identical: %s, max difference %.3g%n",
        steps, soloSteps, stepMs, words, exact, maxPauseDiff);
    // libtorch's CPU matrix kernels block by batch size, so activations may differ in the last bits
    // between
    // a batch of 1 and of 16 (tokens and words above are exact); probabilities must agree to float
    // rounding.
    assertThat(maxPauseDiff).isLessThanOrEqualTo(1e-6);
  }

  @Test
  void anEngineIsFullAtItsSlotsAndAFreedSlotStartsFresh() throws Exception {
    float[] pcm = input(3);
    Recorder expected = solo(pcm);
    try (SttEngine engine = new SttEngine(model, 2, 1000)) {
      Recorder r1 = new Recorder();
      SttSession s1 = engine.open(SttOptions.defaults(), r1);
      engine.open(SttOptions.defaults(), new Recorder());
      assertThatThrownBy(() -> engine.open(SttOptions.defaults(), new Recorder()))
          .isInstanceOf(EngineFullException.class)
          .hasMessageContaining("server full");
      float[] other = input(5);
      s1.offerAudio(other, 0, other.length);
      while (r1.steps.size() < 20) {
        Thread.sleep(5);
      }
      s1.close();
      assertThat(r1.closed.get(5, TimeUnit.SECONDS)).isEmpty();
      assertThat(s1.offerAudio(other, 0, 100)).isFalse();
      Recorder r3 = new Recorder();
      SttSession s3 = engine.open(SttOptions.defaults(), r3);
      assertThat(s3.slot()).isEqualTo(s1.slot());
      s3.offerAudio(pcm, 0, pcm.length);
      s3.endOfInput();
      assertThat(r3.awaitTranscript()).isEqualTo(expected.awaitTranscript());
      assertThat(r3.tokens()).containsExactly(expected.tokens());
    }
  }

  @Test
  void aClientFasterThanRealTimeIsClosedWithAnOverflowError() throws Exception {
    try (SttEngine engine = new SttEngine(model, 1, 3)) {
      Recorder r = new Recorder();
      SttSession s = engine.open(SttOptions.defaults(), r);
      float[] flood = new float[1920 * 200];
      boolean accepted = true;
      for (int off = 0; off < flood.length && accepted; off += 1920 * 50) {
        accepted = s.offerAudio(flood, off, 1920 * 50);
      }
      assertThat(accepted).isFalse();
      assertThat(r.closed.get(5, TimeUnit.SECONDS))
          .contains("input overflow")
          .contains("faster than real time");
      assertThat(s.isClosed()).isTrue();
      assertThat(engine.activeSessions()).isZero();
      assertThat(r.transcript).isNotDone();
    }
  }

  @Test
  void badSamplesAndAudioAfterTheEndAreRefused() throws Exception {
    try (SttEngine engine = new SttEngine(model, 1, 100)) {
      Recorder r = new Recorder();
      SttSession s = engine.open(SttOptions.defaults(), r);
      assertThatThrownBy(() -> s.offerAudio(new float[] {0f, Float.NaN}, 0, 2))
          .hasMessageContaining("NaN");
      s.endOfInput();
      assertThatThrownBy(() -> s.offerAudio(new float[10], 0, 10))
          .hasMessageContaining("after the end of input");
      assertThat(r.awaitTranscript()).isNotNull();
      assertThat(r.steps).hasSize(13 + 32); // no audio at all: prefix and flush only
    }
  }

  @Test
  void onlyLateStepsThatCarryClientAudioCountAsDeadlineMisses() throws Exception {
    float[] pcm = input(1);
    try (SttEngine engine = new SttEngine(model, 2, 1000)) {
      engine.deadlineNanos = 0; // every step is late
      Recorder r = new Recorder();
      SttSession s = engine.open(SttOptions.defaults(), r);
      s.offerAudio(pcm, 0, pcm.length);
      s.endOfInput();
      r.awaitTranscript();
      long clientFrames = (pcm.length + 1919) / 1920;
      assertThat(s.framesConsumed()).isEqualTo(clientFrames);
      assertThat(s.deadlineMisses())
          .as("the silence prefix and flush are not real-time")
          .isEqualTo(clientFrames);
      assertThat(engine.deadlineMisses()).isEqualTo(clientFrames);
    }
  }

  static List<WordAssembler.Event> toEvents(List<String> wordEvents) {
    List<WordAssembler.Event> out = new ArrayList<>();
    for (String e : wordEvents) {
      String[] p = e.split(" ");
      if (p[0].equals("word")) {
        out.add(
            new WordAssembler.WordStart(
                Integer.parseInt(p[1]),
                String.join(" ", Arrays.copyOfRange(p, 2, p.length - 1)),
                Double.parseDouble(p[p.length - 1])));
      } else {
        out.add(new WordAssembler.WordEnd(Integer.parseInt(p[1]), Double.parseDouble(p[2])));
      }
    }
    return out;
  }
}
