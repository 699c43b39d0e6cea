package dev.parley.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.server.model.MissingModelFilesException.MissingFile;
import dev.parley.server.model.ModelReference.HubRepository;
import dev.parley.server.model.ModelReference.LocalDirectory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KyutaiCheckpointTest {
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

  @Test
  void aConfigNamingFilesInOtherRepositoriesResolvesThemAll() throws Exception {
    byte[] lm = Digests.randomBytes(30_000, 31);
    byte[] mimi = Digests.randomBytes(20_000, 32);
    byte[] mimiConfig = "{\"seanet\": {}}".getBytes(StandardCharsets.UTF_8);
    byte[] tok = "tok".getBytes(StandardCharsets.UTF_8);
    String config =
        """
        {"moshi_name": "model.safetensors", "mimi_name": "hf://kyutai/mimi-repo/m/mimi.safetensors",
         "mimi_config_name": "mimi.json", "tokenizer_name": "tok.model", "model_type": "tts", "n_q": 32, "dep_q": 32,
         "tts_config": {"multistream": true}}""";
    String commit =
        hub.put("kyutai/tts", "config.json", config.getBytes(StandardCharsets.UTF_8), false);
    hub.put("kyutai/tts", "model.safetensors", lm, true);
    hub.put("kyutai/tts", "mimi.json", mimiConfig, false);
    hub.put("kyutai/tts", "tok.model", tok, true);
    String mimiCommit = hub.put("kyutai/mimi-repo", "m/mimi.safetensors", mimi, true);

    KyutaiCheckpoint c = KyutaiCheckpoint.resolve(resolver(false), new HubRepository("kyutai/tts"));

    Path snapshot = cacheRoot.resolve("models--kyutai--tts/snapshots/" + commit);
    assertThat(c.configFile()).contains(snapshot.resolve("config.json"));
    assertThat(c.config().modelType()).isEqualTo("tts");
    assertThat(c.config().numCodebooks()).isEqualTo(16);
    assertThat(c.moshiWeights()).isEqualTo(snapshot.resolve("model.safetensors"));
    assertThat(Files.readAllBytes(c.moshiWeights())).isEqualTo(lm);
    assertThat(c.mimiWeights())
        .isEqualTo(
            cacheRoot.resolve(
                "models--kyutai--mimi-repo/snapshots/" + mimiCommit + "/m/mimi.safetensors"));
    assertThat(Files.readAllBytes(c.mimiWeights())).isEqualTo(mimi);
    assertThat(Files.readAllBytes(c.mimiConfig().orElseThrow())).isEqualTo(mimiConfig);
    assertThat(Files.readAllBytes(c.tokenizer())).isEqualTo(tok);
    assertThat(c.loraWeights()).isEmpty();
  }

  @Test
  void aRepoWithoutConfigJsonGetsMoshi7BFilesAndPythonsMarker() throws Exception {
    String commit = hub.put("kyutai/legacy", "model.safetensors", new byte[] {1}, true);
    hub.put("kyutai/legacy", "tokenizer-e351c8d8-checkpoint125.safetensors", new byte[] {2}, true);
    hub.put("kyutai/legacy", "tokenizer_spm_32k_3.model", new byte[] {3}, true);

    KyutaiCheckpoint c =
        KyutaiCheckpoint.resolve(resolver(false), new HubRepository("kyutai/legacy"));

    assertThat(c.configFile()).isEmpty();
    assertThat(c.config().lmConfig()).isEmpty();
    assertThat(Files.readAllBytes(c.tokenizer())).containsExactly(3);
    assertThat(cacheRoot.resolve("models--kyutai--legacy/.no_exist/" + commit + "/config.json"))
        .exists();

    // Later, offline, the marker tells the repo has no config.json, so the cached files suffice.
    hub.close();
    KyutaiCheckpoint again =
        KyutaiCheckpoint.resolve(resolver(true), new HubRepository("kyutai/legacy"));
    assertThat(again.moshiWeights()).isEqualTo(c.moshiWeights());
  }

  @Test
  void offlineWithAPythonCacheOfALegacyRepo() throws Exception {
    String commit = Digests.commit("legacy");
    for (String f :
        new String[] {
          "model.safetensors",
          "tokenizer-e351c8d8-checkpoint125.safetensors",
          "tokenizer_spm_32k_3.model"
        }) {
      PythonCacheLayout.put(
          cacheRoot, "kyutai/moshiko-pytorch-bf16", "main", commit, f, f.getBytes(), true);
    }
    // Python downloaded these without ever asking for config.json, so nothing says it is absent;
    // the reference then assumes Moshi 7B, and so does this.
    KyutaiCheckpoint c =
        KyutaiCheckpoint.resolve(resolver(true), new HubRepository("kyutai/moshiko-pytorch-bf16"));
    assertThat(Files.readString(c.mimiWeights()))
        .isEqualTo("tokenizer-e351c8d8-checkpoint125.safetensors");
    assertThat(hub.requests()).isEmpty();
  }

  @Test
  void offlineWithNothingCachedAnSttRepoNamesItsRealFiles() {
    assertThatThrownBy(
            () ->
                KyutaiCheckpoint.resolve(resolver(true), new HubRepository("kyutai/stt-1b-en_fr")))
        .isInstanceOfSatisfying(
            MissingModelFilesException.class,
            e -> {
              // The names kyutai/stt-1b-en_fr publishes, not Moshi 7B's.
              assertThat(e.files())
                  .extracting(MissingFile::name)
                  .containsExactly(
                      "config.json",
                      "model.safetensors",
                      "mimi-pytorch-e351c8d8@125.safetensors",
                      "tokenizer_en_fr_audio_8000.model");
              assertThat(e.getMessage())
                  .contains(
                      "HF_HUB_OFFLINE",
                      hub.endpoint() + "/kyutai/stt-1b-en_fr/resolve/main/config.json",
                      "--model /path/to/dir",
                      "models--kyutai--stt-1b-en_fr",
                      "huggingface-cli download kyutai/stt-1b-en_fr config.json model.safetensors")
                  .doesNotContain("<commit", "tokenizer_spm_32k_3.model");
            });
  }

  @Test
  void offlineWithNothingCachedATtsRepoAsksForTheConfigThatNamesItsFiles() {
    assertThatThrownBy(
            () ->
                KyutaiCheckpoint.resolve(
                    resolver(true), new HubRepository("kyutai/tts-1.6b-en_fr")))
        .isInstanceOfSatisfying(
            MissingModelFilesException.class,
            e -> {
              assertThat(e.files()).extracting(MissingFile::name).containsExactly("config.json");
              assertThat(e.getMessage())
                  .contains(
                      "config.json names the model's weights, Mimi and tokenizer files",
                      "Two ways out",
                      "models--kyutai--tts-1.6b-en_fr",
                      "huggingface-cli download kyutai/tts-1.6b-en_fr config.json"
                          + " --local-dir tts-1.6b-en_fr")
                  .doesNotContain("<commit", "model.safetensors", "tokenizer_spm_32k_3.model");
            });
  }

  @Test
  void offlineWithNothingCachedMoshiNamesItsThreeFiles() {
    assertThatThrownBy(
            () ->
                KyutaiCheckpoint.resolve(
                    resolver(true), new HubRepository("kyutai/moshiko-pytorch-bf16")))
        .isInstanceOfSatisfying(
            MissingModelFilesException.class,
            e ->
                assertThat(e.files())
                    .extracting(MissingFile::name)
                    .containsExactly(
                        "model.safetensors",
                        "tokenizer-e351c8d8-checkpoint125.safetensors",
                        "tokenizer_spm_32k_3.model"));
  }

  @Test
  void aLocalDirectoryWithItsOwnConfig() throws Exception {
    Files.writeString(
        work.resolve("config.json"),
        "{\"moshi_name\": \"lm.safetensors\", \"tokenizer_name\": \"t.model\","
            + " \"mimi_name\": \"m.safetensors\", \"n_q\": 16, \"dep_q\": 8}");
    for (String f : new String[] {"lm.safetensors", "t.model", "m.safetensors"}) {
      Files.writeString(work.resolve(f), f);
    }

    KyutaiCheckpoint c = KyutaiCheckpoint.resolve(resolver(true), new LocalDirectory(work));

    assertThat(c.moshiWeights()).isEqualTo(work.resolve("lm.safetensors"));
    assertThat(c.tokenizer()).isEqualTo(work.resolve("t.model"));
    assertThat(c.mimiWeights()).isEqualTo(work.resolve("m.safetensors"));
    assertThat(c.config().numCodebooks()).isEqualTo(8);
    assertThat(c.files().directory()).contains(work);
  }

  @Test
  void theDemoModelHasNoCheckpoint() {
    assertThatThrownBy(() -> KyutaiCheckpoint.resolve(resolver(true), ModelReference.parse("demo")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
