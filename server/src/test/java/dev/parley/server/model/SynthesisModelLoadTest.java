package dev.parley.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.tensor.SafeTensorsWriter;
import dev.parley.codec.testing.Golden;
import dev.parley.server.model.ModelReference.HubRepository;
import dev.parley.server.tts.SynthesisModel;
import dev.parley.server.tts.TtsEngine;
import dev.parley.server.tts.TtsListener;
import dev.parley.server.tts.TtsOptions;
import dev.parley.server.tts.TtsSettings;
import dev.parley.server.tts.UnknownVoiceException;
import dev.parley.server.tts.VoiceLibrary;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TTS repo laid out as {@code kyutai/tts-1.6b-en_fr} (config.json with tts_config and model_id,
 * LM weights with conditioners, Mimi, tokenizer) on a hub that serves it over HTTP, and voices from
 * {@code kyutai/tts-voices} named {@code <name>.<sig>@<epoch>.safetensors}: the model loads, the
 * default voice is fetched on first use into the cache, and offline the cached voices are listed
 * and used while unknown ones fail clearly.
 */
class SynthesisModelLoadTest {
  static final String SUFFIX = ".tiny0001@1.safetensors";
  @TempDir Path cacheRoot;
  @TempDir Path work;
  private FakeHub hub;

  @BeforeEach
  void start() throws Exception {
    hub = new FakeHub();
  }

  @AfterEach
  void stop() {
    hub.close();
  }

  private ModelResolver resolver(boolean offline) {
    HubSettings s = new HubSettings(cacheRoot, hub.endpoint(), Optional.empty(), offline);
    HubCache cache = new HubCache(cacheRoot);
    return new ModelResolver(cache, new HubDownloader(s, cache, DownloadProgress.NONE));
  }

  private void publish() throws Exception {
    ObjectNode config =
        (ObjectNode) new ObjectMapper().readTree(Golden.path("tts_tiny.config.json").toFile());
    config.put("moshi_name", "dsm_tts.safetensors");
    config.put("mimi_name", "mimi.safetensors");
    config.put("mimi_config_name", "mimi.json");
    config.put("tokenizer_name", "tok.model");
    hub.put(
        "kyutai/tts-tiny",
        "config.json",
        config.toString().getBytes(StandardCharsets.UTF_8),
        false);
    hub.put(
        "kyutai/tts-tiny",
        "dsm_tts.safetensors",
        Files.readAllBytes(Golden.path("tts_tiny.safetensors")),
        true);
    hub.put(
        "kyutai/tts-tiny",
        "mimi.safetensors",
        Files.readAllBytes(Golden.path("mimi_tiny.safetensors")),
        true);
    hub.put(
        "kyutai/tts-tiny",
        "mimi.json",
        Files.readAllBytes(Golden.path("mimi_tiny.config.json")),
        false);
    hub.put(
        "kyutai/tts-tiny",
        "tok.model",
        Files.readAllBytes(Golden.path("tokenizer_tiny.model")),
        true);
    float[] voice;
    try (SafeTensorsFile gen = Golden.open("tts_tiny.gen.safetensors")) {
      voice = gen.floats("voice0_speaker_wavs");
    }
    for (String name : List.of(VoiceLibrary.KYUTAI_DEFAULT_VOICE, "vctk/p225_023.wav")) {
      Path f = work.resolve("voice.safetensors");
      new SafeTensorsWriter().putFloats("speaker_wavs", new long[] {1, 24, 6}, voice).write(f);
      hub.put(VoiceLibrary.KYUTAI_VOICES_REPO, name + SUFFIX, Files.readAllBytes(f), true);
    }
  }

  private static String speak(TtsEngine engine, TtsOptions options) throws Exception {
    CompletableFuture<String> closed = new CompletableFuture<>();
    AtomicInteger frames = new AtomicInteger();
    engine.synthesize(
        List.of("Hello robot."),
        options,
        new TtsListener() {
          @Override
          public void onAudio(float[] pcm) {
            frames.incrementAndGet();
          }

          @Override
          public void onClosed(String reason) {
            closed.complete(reason == null ? "ok " + frames.get() : reason);
          }
        });
    return closed.get(60, TimeUnit.SECONDS);
  }

  @Test
  void loadsFromTheHubAndFetchesVoicesIntoTheCache() throws Exception {
    publish();
    HubRepository repo = new HubRepository("kyutai/tts-tiny");
    try (SynthesisModel model =
        SynthesisModel.load(repo, resolver(false), Device.cpu(), DataType.FLOAT32, null, null)) {
      assertThat(model.config().voiceSuffix()).isEqualTo(SUFFIX);
      assertThat(model.voices().source()).isEqualTo("hf:kyutai/tts-voices");
      try (TtsEngine engine = new TtsEngine(model, TtsSettings.of(model).withCodebooks(8), 1)) {
        assertThat(speak(engine, TtsOptions.defaults())).startsWith("ok ");
      }
    }
    // Offline now: the voice fetched above is in the cache and listed; one never fetched is
    // unknown.
    try (SynthesisModel model =
        SynthesisModel.load(repo, resolver(true), Device.cpu(), DataType.FLOAT32, null, null)) {
      assertThat(model.voices().names()).containsExactly(VoiceLibrary.KYUTAI_DEFAULT_VOICE);
      try (TtsEngine engine = new TtsEngine(model, TtsSettings.of(model).withCodebooks(8), 1)) {
        assertThat(speak(engine, TtsOptions.voice(VoiceLibrary.KYUTAI_DEFAULT_VOICE)))
            .startsWith("ok ");
        assertThatThrownBy(() -> engine.open(TtsOptions.voice("vctk/p225_023.wav"), null))
            .isInstanceOf(UnknownVoiceException.class)
            .hasMessageContaining("vctk/p225_023.wav");
        assertThatThrownBy(() -> engine.open(TtsOptions.voice("../../etc/passwd"), null))
            .isInstanceOf(UnknownVoiceException.class);
      }
    }
  }

  @Test
  void aVoiceFolderListsEveryVoiceFile() throws Exception {
    publish();
    Path voices = work.resolve("voices");
    Files.createDirectories(voices.resolve("expresso"));
    Files.createDirectories(voices.resolve("vctk"));
    float[] v = new float[24 * 6];
    new SafeTensorsWriter()
        .putFloats("speaker_wavs", new long[] {1, 24, 6}, v)
        .write(voices.resolve("expresso/ex03-ex01_happy_001_channel1_334s.wav" + SUFFIX));
    new SafeTensorsWriter()
        .putFloats("speaker_wavs", new long[] {1, 24, 6}, v)
        .write(voices.resolve("vctk/a.wav" + SUFFIX));
    new SafeTensorsWriter()
        .putFloats("speaker_wavs", new long[] {1, 24, 6}, v)
        .write(voices.resolve("other.safetensors"));
    new SafeTensorsWriter()
        .putFloats("wrong", new long[] {1, 24, 6}, v)
        .write(voices.resolve("bad.wav" + SUFFIX));
    try (SynthesisModel model =
        SynthesisModel.load(
            new HubRepository("kyutai/tts-tiny"),
            resolver(false),
            Device.cpu(),
            DataType.FLOAT32,
            voices,
            "vctk/a.wav")) {
      assertThat(model.voices().names())
          .containsExactly(
              "bad.wav", "expresso/ex03-ex01_happy_001_channel1_334s.wav", "vctk/a.wav");
      assertThat(model.voices().defaultVoice()).isEqualTo("vctk/a.wav");
      assertThat(model.voices().get(null).name()).isEqualTo("vctk/a.wav");
      assertThatThrownBy(() -> model.voices().get("bad.wav")).hasMessageContaining("speaker_wavs");
    }
  }
}
