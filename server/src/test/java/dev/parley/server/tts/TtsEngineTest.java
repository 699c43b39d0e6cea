package dev.parley.server.tts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.mimi.MimiConfig;
import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.torch.TorchRuntime;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.text.TextTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The batched TTS engine: the golden {@code tts_tiny} synthesis reproduced through it (tokens, pcm,
 * word times), text streamed in word by word giving the same audio, starvation, batching and bad
 * input.
 */
class TtsEngineTest {
  static final String SCRIPT = "Hello robot, the voice streams now.";
  static NDManager manager;
  static SynthesisModel tiny;
  static SafeTensorsFile gen;
  static JsonNode json;

  @BeforeAll
  static void load() throws IOException {
    manager = TorchRuntime.newManager();
    TtsConfig cfg = TtsConfig.fromJson(Golden.path("tts_tiny.config.json"));
    TtsModel model =
        TtsModel.load(Golden.path("tts_tiny.safetensors"), cfg, manager, DataType.FLOAT32);
    MimiModel mimi =
        MimiModel.load(
            Golden.path("mimi_tiny.safetensors"),
            MimiConfig.fromJson(Golden.path("mimi_tiny.config.json")),
            manager,
            DataType.FLOAT32);
    gen = Golden.open("tts_tiny.gen.safetensors");
    json = new ObjectMapper().readTree(Golden.path("tts_tiny.gen.json").toFile());
    Voice v0 = new Voice("voice0", "golden", gen.floats("voice0_speaker_wavs"), 24, 6);
    tiny =
        new SynthesisModel(
            "tts_tiny",
            model,
            mimi,
            TextTokenizer.load(Golden.path("tokenizer_tiny.model")),
            VoiceLibrary.builtin(List.of(v0), "voice0"),
            manager,
            false);
  }

  @AfterAll
  static void close() throws IOException {
    gen.close();
    tiny.tokenizer().close();
    manager.close();
  }

  /** tts_pytorch.py's settings with temp 0: greedy, cfg condition 2.0, all 8 codebooks. */
  static TtsSettings goldenSettings() {
    return TtsSettings.of(tiny).withTemperature(0f).withCodebooks(8);
  }

  /** The golden run's single voice (one speaker slot, as make_condition_attributes([voice0])). */
  static TtsOptions goldenOptions() throws IOException {
    return TtsOptions.defaults()
        .withCustomVoice(
            Voice.fromClient(gen.floats("voice0_speaker_wavs"), new long[] {1, 24, 6}, 24))
        .withSampling(0f, 0L);
  }

  /** Collects what a session produces. */
  static final class Recorder implements TtsListener {
    final List<float[]> frames = new ArrayList<>();
    final List<TtsWord> words = new ArrayList<>();
    final CompletableFuture<String> closed = new CompletableFuture<>();
    volatile TtsSummary summary;

    @Override
    public void onAudio(float[] pcm) {
      frames.add(pcm.clone());
    }

    @Override
    public void onWord(TtsWord word) {
      words.add(word);
    }

    @Override
    public void onEnd(TtsSummary s) {
      summary = s;
    }

    @Override
    public void onClosed(String reason) {
      closed.complete(reason == null ? "" : reason);
    }

    float[] pcm() {
      float[] all = new float[frames.size() * 1920];
      for (int i = 0; i < frames.size(); i++) {
        System.arraycopy(frames.get(i), 0, all, i * 1920, 1920);
      }
      return all;
    }

    String awaitClosed() throws Exception {
      return closed.get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void wholeScriptReproducesTheReferencePcmAndWordTimes() throws Exception {
    try (TtsEngine engine = new TtsEngine(tiny, goldenSettings(), 2)) {
      Recorder r = new Recorder();
      engine.synthesize(List.of(SCRIPT), goldenOptions(), r);
      assertThat(r.awaitClosed()).isEmpty();
      double err = Golden.assertClose("pcm", r.pcm(), gen.floats("pcm"));
      System.out.printf("TTS engine pcm: %d frames, max abs err %.3g%n", r.frames.size(), err);
      JsonNode transcript = json.get("transcript");
      assertThat(r.words).hasSize(transcript.size());
      long[] consumption = gen.longs("consumption_steps");
      for (int i = 0; i < transcript.size(); i++) {
        TtsWord w = r.words.get(i);
        assertThat(w.text()).isEqualTo(transcript.get(i).get("word").asText());
        assertThat(w.startSeconds()).isEqualTo(transcript.get(i).get("step").asLong() / 12.5);
        long end = i + 1 < consumption.length ? consumption[i + 1] : json.get("end_step").asLong();
        assertThat(w.endSeconds()).isEqualTo(end / 12.5);
      }
      assertThat(r.summary.frames()).isEqualTo(r.frames.size());
      assertThat(r.summary.steps()).isEqualTo(48);
      assertThat(r.summary.starvedSteps()).isZero();
      assertThat(r.summary.stepsToFirstAudio()).isEqualTo(tiny.config().delaySteps() + 2 + 1);
    }
  }

  @Test
  void wordsStreamedOneByOneGiveTheSameAudioAsAllAtOnce() throws Exception {
    try (TtsEngine engine = new TtsEngine(tiny, goldenSettings().withUnderrunLead(0), 2)) {
      Recorder r = new Recorder();
      TtsSession s = engine.open(goldenOptions(), r);
      for (String piece :
          new String[] {"Hel", "lo ", "robot, the", " voi", "ce ", "streams ", "now."}) {
        s.pushText(piece);
        Thread.sleep(30);
      }
      s.endOfText();
      assertThat(r.awaitClosed()).isEmpty();
      Golden.assertClose("pcm", r.pcm(), gen.floats("pcm"));
      assertThat(r.summary.starvedSteps()).isZero();
    }
  }

  @Test
  void badRequestsFailClearly() throws Exception {
    try (TtsEngine engine = new TtsEngine(tiny, goldenSettings().withLimits(100, 1000), 1)) {
      assertThatThrownBy(() -> engine.open(TtsOptions.voice("nobody"), new Recorder()))
          .isInstanceOf(UnknownVoiceException.class)
          .hasMessageContaining("nobody")
          .hasMessageContaining("voice0");
      assertThatThrownBy(() -> Voice.fromClient(new float[24 * 5], new long[] {1, 12, 10}, 24))
          .hasMessageContaining("[1, 12, 10]");
      assertThatThrownBy(() -> Voice.fromClient(new float[7], new long[] {1, 24, 6}, 24))
          .hasMessageContaining("7 values");
      assertThatThrownBy(
              () -> engine.synthesize(List.of("  "), TtsOptions.defaults(), new Recorder()))
          .hasMessageContaining("no text");
      assertThatThrownBy(
              () ->
                  engine.synthesize(
                      List.of("x".repeat(101)), TtsOptions.defaults(), new Recorder()))
          .hasMessageContaining("longer than 100");
      Recorder r = new Recorder();
      TtsSession s = engine.open(TtsOptions.defaults(), r);
      assertThatThrownBy(() -> engine.open(TtsOptions.defaults(), new Recorder()))
          .isInstanceOf(EngineFullException.class);
      s.pushText("a ".repeat(40));
      assertThatThrownBy(() -> s.pushText("b ".repeat(20))).hasMessageContaining("longer than 100");
      s.close();
      assertThat(r.awaitClosed()).isEqualTo("closed by client");
      assertThat(engine.activeSessions()).isZero();
    }
  }
}
