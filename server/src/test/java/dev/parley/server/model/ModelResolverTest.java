package dev.parley.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.server.model.MissingModelFilesException.MissingFile;
import dev.parley.server.model.ModelReference.HubRepository;
import dev.parley.server.model.ModelReference.LocalDirectory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelResolverTest {
  private static final String REPO = "kyutai/tiny-model";
  private static final HubRepository MODEL = new HubRepository(REPO);

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
    return resolver(hub.endpoint(), offline);
  }

  private ModelResolver resolver(URI endpoint, boolean offline) {
    HubSettings s = new HubSettings(cacheRoot, endpoint, Optional.empty(), offline);
    HubCache cache = new HubCache(cacheRoot);
    return new ModelResolver(cache, new HubDownloader(s, cache, DownloadProgress.NONE));
  }

  private static URI closedPort() throws Exception {
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return URI.create("http://127.0.0.1:" + s.getLocalPort());
    }
  }

  @Test
  void aLocalDirectoryServesItsFiles() throws Exception {
    Files.writeString(work.resolve("model.safetensors"), "w");
    Files.createDirectories(work.resolve("sub"));
    Files.writeString(work.resolve("sub/tok.model"), "t");

    ResolvedModel m =
        resolver(true)
            .resolve(new LocalDirectory(work), List.of("model.safetensors", "sub/tok.model"));

    assertThat(m.directory()).contains(work);
    assertThat(m.file("model.safetensors")).isEqualTo(work.resolve("model.safetensors"));
    assertThat(m.file("sub/tok.model")).isEqualTo(work.resolve("sub/tok.model"));
    assertThat(hub.requests()).isEmpty();
  }

  @Test
  void aLocalDirectoryMissingFilesNamesThemAll() throws Exception {
    Files.writeString(work.resolve("model.safetensors"), "w");

    assertThatThrownBy(
            () ->
                resolver(false)
                    .resolve(
                        new LocalDirectory(work),
                        List.of("model.safetensors", "mimi.safetensors", "tok.model")))
        .isInstanceOfSatisfying(
            MissingModelFilesException.class,
            e -> {
              assertThat(e.files())
                  .extracting(MissingFile::name)
                  .containsExactly("mimi.safetensors", "tok.model");
              assertThat(e.files())
                  .extracting(MissingFile::expectedAt)
                  .containsExactly(
                      work.resolve("mimi.safetensors").toString(),
                      work.resolve("tok.model").toString());
              assertThat(e.getMessage()).contains("not in " + work);
            });
    assertThat(hub.requests()).isEmpty();
  }

  @Test
  void aFullyCachedRepoNeedsNoNetwork() throws Exception {
    String commit = Digests.commit("cached");
    PythonCacheLayout.put(
        cacheRoot, REPO, "main", commit, "model.safetensors", "w".getBytes(), true);
    PythonCacheLayout.put(cacheRoot, REPO, "main", commit, "tok.model", "t".getBytes(), true);

    ResolvedModel m =
        resolver(closedPort(), false).resolve(MODEL, List.of("model.safetensors", "tok.model"));

    Path snapshot = cacheRoot.resolve("models--kyutai--tiny-model/snapshots/" + commit);
    assertThat(m.directory()).contains(snapshot);
    assertThat(m.files())
        .isEqualTo(
            Map.of(
                "model.safetensors",
                snapshot.resolve("model.safetensors"),
                "tok.model",
                snapshot.resolve("tok.model")));
    assertThat(Files.readString(m.file("tok.model"))).isEqualTo("t");
  }

  @Test
  void missingFilesAreDownloadedNextToTheCachedOnes() throws Exception {
    byte[] weights = Digests.randomBytes(100_000, 21);
    byte[] tok = "tok".getBytes(StandardCharsets.UTF_8);
    String commit = hub.put(REPO, "model.safetensors", weights, true);
    hub.put(REPO, "tok.model", tok, true);
    PythonCacheLayout.put(cacheRoot, REPO, "main", commit, "model.safetensors", weights, true);

    ResolvedModel m = resolver(false).resolve(MODEL, List.of("model.safetensors", "tok.model"));

    assertThat(Files.readAllBytes(m.file("tok.model"))).isEqualTo(tok);
    assertThat(m.file("tok.model").getParent()).isEqualTo(m.file("model.safetensors").getParent());
    assertThat(hub.requests())
        .extracting(FakeHub.Request::path)
        .noneMatch(p -> p.contains("model.safetensors"));
    // The cached commit pins the download, so both files come from one commit.
    assertThat(hub.requests("HEAD", "/kyutai/tiny-model/resolve/" + commit + "/tok.model"))
        .hasSize(1);
  }

  @Test
  void offlineListsEveryMissingFileWithItsCachePathAndUrl() throws Exception {
    String commit = Digests.commit("offline");
    PythonCacheLayout.put(
        cacheRoot, REPO, "main", commit, "model.safetensors", "w".getBytes(), true);

    assertThatThrownBy(
            () ->
                resolver(true)
                    .resolve(
                        MODEL,
                        List.of(
                            "model.safetensors",
                            "mimi.safetensors",
                            "tok.model",
                            "hf://kyutai/other/x.json")))
        .isInstanceOfSatisfying(
            MissingModelFilesException.class,
            e -> {
              Path snapshot = cacheRoot.resolve("models--kyutai--tiny-model/snapshots/" + commit);
              assertThat(e.files())
                  .containsExactly(
                      new MissingFile(
                          "mimi.safetensors",
                          snapshot.resolve("mimi.safetensors").toString(),
                          hub.endpoint() + "/kyutai/tiny-model/resolve/main/mimi.safetensors",
                          place("mimi.safetensors")),
                      new MissingFile(
                          "tok.model",
                          snapshot.resolve("tok.model").toString(),
                          hub.endpoint() + "/kyutai/tiny-model/resolve/main/tok.model",
                          place("tok.model")),
                      new MissingFile(
                          "hf://kyutai/other/x.json",
                          cacheRoot.resolve("models--kyutai--other")
                              + " (the cache folder of kyutai/other, see 2. below)",
                          hub.endpoint() + "/kyutai/other/resolve/main/x.json",
                          new MissingModelFilesException.HubPlace(
                              "kyutai/other",
                              "main",
                              "x.json",
                              cacheRoot.resolve("models--kyutai--other").toString())));
              assertThat(e.getMessage())
                  .contains("HF_HUB_OFFLINE", "3 files are missing", "--model /path/to/dir")
                  .contains(snapshot.resolve("mimi.safetensors").toString())
                  .contains(hub.endpoint() + "/kyutai/tiny-model/resolve/main/tok.model")
                  .contains(
                      "Two ways out",
                      "huggingface-cli download kyutai/tiny-model mimi.safetensors tok.model"
                          + " --local-dir tiny-model",
                      "huggingface-cli download kyutai/other x.json",
                      cacheRoot.resolve("models--kyutai--tiny-model").toString())
                  .doesNotContain("<commit");
            });
    assertThat(hub.requests()).isEmpty();
  }

  private MissingModelFilesException.HubPlace place(String path) {
    return new MissingModelFilesException.HubPlace(
        REPO, "main", path, cacheRoot.resolve("models--kyutai--tiny-model").toString());
  }

  @Test
  void anUnreachableHubReportsEveryMissingFile() throws Exception {
    URI down = closedPort();
    assertThatThrownBy(() -> resolver(down, false).resolve(MODEL, List.of("a.bin", "b.bin")))
        .isInstanceOfSatisfying(
            MissingModelFilesException.class,
            e -> {
              assertThat(e.files()).extracting(MissingFile::name).containsExactly("a.bin", "b.bin");
              assertThat(e.getMessage()).contains("cannot reach", down.toString());
              assertThat(e.getCause()).isInstanceOf(HubUnreachableException.class);
            });
  }

  @Test
  void aFileTheRepoLacksIsAHubError() {
    hub.put(REPO, "model.safetensors", new byte[] {1}, true);
    assertThatThrownBy(
            () -> resolver(false).resolve(MODEL, List.of("model.safetensors", "nope.bin")))
        .isInstanceOf(HubEntryNotFoundException.class)
        .hasMessageContaining("nope.bin");
  }

  @Test
  void hfReferencesComeFromTheirOwnRepository() throws Exception {
    byte[] mimi = Digests.randomBytes(20_000, 22);
    String otherCommit = hub.put("kyutai/mimi", "weights/mimi.safetensors", mimi, true);
    Files.writeString(work.resolve("model.safetensors"), "w");

    ResolvedModel m =
        resolver(false)
            .resolve(
                new LocalDirectory(work),
                List.of("model.safetensors", "hf://kyutai/mimi/weights/mimi.safetensors"));

    Path p = m.file("hf://kyutai/mimi/weights/mimi.safetensors");
    assertThat(p)
        .isEqualTo(
            cacheRoot.resolve(
                "models--kyutai--mimi/snapshots/" + otherCommit + "/weights/mimi.safetensors"));
    assertThat(Files.readAllBytes(p)).isEqualTo(mimi);
  }

  @Test
  void fileReferencesAreUsedAsTheyAre() throws Exception {
    Path tok = Files.writeString(work.resolve("custom.model"), "t");

    ResolvedModel m = resolver(true).resolve(MODEL, List.of("file://" + tok));
    assertThat(m.file("file://" + tok)).isEqualTo(tok);

    assertThatThrownBy(
            () -> resolver(true).resolve(MODEL, List.of("file://" + work.resolve("gone.model"))))
        .isInstanceOfSatisfying(
            MissingModelFilesException.class,
            e ->
                assertThat(e.files().get(0).expectedAt())
                    .isEqualTo(work.resolve("gone.model").toString()));
  }

  @Test
  void optionalFilesAreFoundKnownAbsentOrReportedUnknown() throws Exception {
    String commit = hub.put(REPO, "config.json", "{}".getBytes(StandardCharsets.UTF_8), false);
    hub.put("kyutai/legacy", "model.safetensors", new byte[] {1}, true);
    ModelResolver online = resolver(false);

    assertThat(online.resolveOptional(MODEL, "config.json")).isPresent();
    assertThat(online.resolveOptional(new HubRepository("kyutai/legacy"), "config.json")).isEmpty();

    // Offline, what the cache recorded still answers, but an unknown file cannot be judged.
    ModelResolver offline = resolver(true);
    assertThat(offline.resolveOptional(MODEL, "config.json")).isPresent();
    assertThat(offline.resolveOptional(new HubRepository("kyutai/legacy"), "config.json"))
        .isEmpty();
    assertThatThrownBy(
            () -> offline.resolveOptional(new HubRepository("kyutai/unknown"), "config.json"))
        .isInstanceOf(MissingModelFilesException.class);
    assertThat(commit).isNotEmpty();
  }

  @Test
  void theEnvironmentNamesTheHubTheCacheAndTheToken() throws Exception {
    byte[] weights = Digests.randomBytes(5000, 23);
    String commit = hub.put(REPO, "model.safetensors", weights, true);
    hub.requireToken("hf_from_env");
    Environment env =
        Environment.of(
            Map.of(
                "HF_ENDPOINT",
                hub.endpoint() + "/",
                "HF_HUB_CACHE",
                cacheRoot.toString(),
                "HF_TOKEN",
                "hf_from_env",
                "HOME",
                work.toString()));

    ResolvedModel m =
        ModelResolver.fromEnvironment(env, DownloadProgress.NONE)
            .resolve(MODEL, List.of("model.safetensors"));

    assertThat(m.file("model.safetensors"))
        .isEqualTo(
            cacheRoot.resolve(
                "models--kyutai--tiny-model/snapshots/" + commit + "/model.safetensors"));
    assertThat(Files.readAllBytes(m.file("model.safetensors"))).isEqualTo(weights);
    assertThat(hub.requests("HEAD", "/kyutai/").get(0).header("Authorization"))
        .isEqualTo("Bearer hf_from_env");
  }

  @Test
  void hfHubOfflineInTheEnvironmentKeepsTheNetworkOff() throws Exception {
    hub.put(REPO, "model.safetensors", new byte[] {1}, true);
    Environment env =
        Environment.of(
            Map.of(
                "HF_ENDPOINT",
                hub.endpoint().toString(),
                "HF_HOME",
                work.toString(),
                "HF_HUB_OFFLINE",
                "1"));

    assertThatThrownBy(
            () ->
                ModelResolver.fromEnvironment(env, DownloadProgress.NONE)
                    .resolve(MODEL, List.of("model.safetensors")))
        .isInstanceOfSatisfying(
            MissingModelFilesException.class,
            e ->
                assertThat(e.files().get(0).expectedAt())
                    .startsWith(work.resolve("hub/models--kyutai--tiny-model").toString()));
    assertThat(hub.requests()).isEmpty();
  }

  @Test
  void theDemoModelNeedsNoFiles() throws Exception {
    ResolvedModel m =
        resolver(true).resolve(ModelReference.parse("demo"), List.of("model.safetensors"));
    assertThat(m.isDemo()).isTrue();
    assertThat(m.directory()).isEmpty();
    assertThatThrownBy(() -> m.file("model.safetensors")).hasMessageContaining("built in memory");
  }

  @Test
  void theTranscriptionDemoNeedsNoFilesEither() throws Exception {
    ResolvedModel m =
        resolver(true).resolve(ModelReference.parse("demo-stt"), List.of("model.safetensors"));
    assertThat(m.isDemo()).isTrue();
    assertThat(m.reference()).hasToString("demo-stt");
    assertThat(m.directory()).isEmpty();
    assertThat(resolver(true).resolveOptional(ModelReference.parse("demo-stt"), "config.json"))
        .isEmpty();
    assertThatThrownBy(() -> m.file("model.safetensors"))
        .hasMessageContaining("demo-stt model is built in memory");
  }
}
