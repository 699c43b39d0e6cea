package dev.parley.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubDownloaderTest {
  private static final String REPO = "kyutai/tiny-model";

  @TempDir Path cacheRoot;
  private FakeHub hub;
  private final List<long[]> progress = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    hub = new FakeHub();
  }

  @AfterEach
  void stop() {
    hub.close();
  }

  private HubDownloader downloader(Optional<String> token) {
    HubSettings settings = new HubSettings(cacheRoot, hub.endpoint(), token, false);
    DownloadProgress listener = (file, done, total) -> progress.add(new long[] {done, total});
    return new HubDownloader(settings, new HubCache(cacheRoot), listener);
  }

  private Path repoDir() {
    return cacheRoot.resolve("models--kyutai--tiny-model");
  }

  @Test
  void downloadsAnLfsFileIntoThePythonCacheLayout() throws Exception {
    byte[] weights = Digests.randomBytes(3 << 20, 1);
    String commit = hub.put(REPO, "model.safetensors", weights, true);
    String sha = Digests.sha256(weights);

    Path p = downloader(Optional.empty()).download(REPO, "main", "model.safetensors");

    Path pointer = repoDir().resolve("snapshots").resolve(commit).resolve("model.safetensors");
    assertThat(p).isEqualTo(pointer);
    assertThat(Files.isSymbolicLink(pointer)).isTrue();
    assertThat(Files.readSymbolicLink(pointer)).isEqualTo(Path.of("../../blobs/" + sha));
    assertThat(Files.readAllBytes(pointer)).isEqualTo(weights);
    assertThat(Files.readAllBytes(repoDir().resolve("blobs").resolve(sha))).isEqualTo(weights);
    assertThat(Files.readString(repoDir().resolve("refs/main"))).isEqualTo(commit);
    assertThat(repoDir().resolve("blobs").resolve(sha + ".incomplete")).doesNotExist();
    // The HEAD was not redirected to the CDN; the GET went there.
    assertThat(hub.requests("HEAD", "/cdn/")).isEmpty();
    assertThat(hub.requests("GET", "/cdn/" + sha)).hasSize(1);
    assertThat(progress).isNotEmpty();
    assertThat(progress.get(progress.size() - 1)).containsExactly(weights.length, weights.length);
    for (int i = 1; i < progress.size(); i++) {
      assertThat(progress.get(i)[0]).isGreaterThanOrEqualTo(progress.get(i - 1)[0]);
    }
  }

  @Test
  void downloadsASmallFileNamedByItsGitBlobId() throws Exception {
    byte[] json = "{\"dim\": 32}".getBytes(StandardCharsets.UTF_8);
    String commit = hub.put(REPO, "config.json", json, false);

    Path p = downloader(Optional.empty()).download(REPO, "main", "config.json");

    String etag = Digests.gitBlobSha1(json);
    assertThat(Files.readSymbolicLink(p)).isEqualTo(Path.of("../../blobs/" + etag));
    assertThat(
            Files.readAllBytes(
                repoDir().resolve("snapshots").resolve(commit).resolve("config.json")))
        .isEqualTo(json);
    assertThat(hub.requests("GET", "/cdn/")).isEmpty();
  }

  @Test
  void aFileInASubfolderLinksWithOneMoreLevelUp() throws Exception {
    byte[] data = "voice".getBytes(StandardCharsets.UTF_8);
    hub.put(REPO, "voices/a b.safetensors", data, true);

    Path p = downloader(Optional.empty()).download(REPO, "main", "voices/a b.safetensors");

    assertThat(Files.readSymbolicLink(p))
        .isEqualTo(Path.of("../../../blobs/" + Digests.sha256(data)));
    assertThat(Files.readAllBytes(p)).isEqualTo(data);
    assertThat(hub.requests("HEAD", "/kyutai/tiny-model/resolve/main/voices/a b.safetensors"))
        .hasSize(1);
  }

  @Test
  void resumesFromAnIncompleteFileWithARangeRequest() throws Exception {
    byte[] weights = Digests.randomBytes(1 << 20, 2);
    String commit = hub.put(REPO, "model.safetensors", weights, true);
    String sha = Digests.sha256(weights);
    int have = 300_000;
    Path partial = repoDir().resolve("blobs").resolve(sha + ".incomplete");
    Files.createDirectories(partial.getParent());
    Files.write(partial, java.util.Arrays.copyOf(weights, have));

    Path p = downloader(Optional.empty()).download(REPO, "main", "model.safetensors");

    assertThat(Files.readAllBytes(p)).isEqualTo(weights);
    List<FakeHub.Request> gets = hub.requests("GET", "/cdn/" + sha);
    assertThat(gets).hasSize(1);
    assertThat(gets.get(0).header("Range")).isEqualTo("bytes=" + have + "-");
    assertThat(gets.get(0).bytesSent()).isEqualTo(weights.length - have);
    assertThat(partial).doesNotExist();
    assertThat(p)
        .isEqualTo(repoDir().resolve("snapshots").resolve(commit).resolve("model.safetensors"));
  }

  @Test
  void anInterruptedDownloadKeepsItsBytesAndTheNextRunResumes() throws Exception {
    byte[] weights = Digests.randomBytes(1 << 20, 3);
    hub.put(REPO, "model.safetensors", weights, true);
    String sha = Digests.sha256(weights);
    hub.cutNextCdnAnswerAfter(400_000);
    HubDownloader d = downloader(Optional.empty());

    assertThatThrownBy(() -> d.download(REPO, "main", "model.safetensors"))
        .isInstanceOf(HubUnreachableException.class)
        .hasMessageContaining("run again to resume");
    Path partial = repoDir().resolve("blobs").resolve(sha + ".incomplete");
    assertThat(partial).exists();
    long kept = Files.size(partial);
    assertThat(kept).isPositive().isLessThanOrEqualTo(400_000);
    assertThat(Files.readAllBytes(partial)).isEqualTo(java.util.Arrays.copyOf(weights, (int) kept));

    Path p = d.download(REPO, "main", "model.safetensors");

    assertThat(Files.readAllBytes(p)).isEqualTo(weights);
    List<FakeHub.Request> gets = hub.requests("GET", "/cdn/" + sha);
    assertThat(gets).hasSize(2);
    assertThat(gets.get(1).header("Range")).isEqualTo("bytes=" + kept + "-");
  }

  @Test
  void aServerThatIgnoresRangeRestartsTheFileCleanly() throws Exception {
    byte[] weights = Digests.randomBytes(500_000, 4);
    hub.put(REPO, "model.safetensors", weights, true);
    String sha = Digests.sha256(weights);
    Path partial = repoDir().resolve("blobs").resolve(sha + ".incomplete");
    Files.createDirectories(partial.getParent());
    Files.write(partial, java.util.Arrays.copyOf(weights, 1000));
    hub.ignoreRange(true);

    Path p = downloader(Optional.empty()).download(REPO, "main", "model.safetensors");

    assertThat(Files.readAllBytes(p)).isEqualTo(weights);
  }

  @Test
  void aChecksumMismatchDeletesThePartialFileAndLinksNothing() throws Exception {
    byte[] weights = Digests.randomBytes(200_000, 5);
    String commit = hub.put(REPO, "model.safetensors", weights, true);
    String sha = Digests.sha256(weights);
    hub.corruptCdn(weights);

    assertThatThrownBy(
            () -> downloader(Optional.empty()).download(REPO, "main", "model.safetensors"))
        .isInstanceOf(HubException.class)
        .isNotInstanceOf(HubUnreachableException.class)
        .hasMessageContaining("sha256 mismatch")
        .hasMessageContaining("model.safetensors")
        .hasMessageContaining(sha);
    assertThat(repoDir().resolve("blobs").resolve(sha + ".incomplete")).doesNotExist();
    assertThat(repoDir().resolve("blobs").resolve(sha)).doesNotExist();
    assertThat(repoDir().resolve("snapshots").resolve(commit).resolve("model.safetensors"))
        .doesNotExist();
  }

  @Test
  void sendsTheTokenToTheHubButNotToTheCdn() throws Exception {
    byte[] weights = Digests.randomBytes(10_000, 6);
    byte[] json = "{}".getBytes(StandardCharsets.UTF_8);
    hub.put(REPO, "model.safetensors", weights, true);
    hub.put(REPO, "config.json", json, false);
    hub.requireToken("hf_secret");
    HubDownloader d = downloader(Optional.of("hf_secret"));

    d.download(REPO, "main", "model.safetensors");
    d.download(REPO, "main", "config.json");

    for (FakeHub.Request r : hub.requests("HEAD", "/kyutai/")) {
      assertThat(r.header("Authorization")).isEqualTo("Bearer hf_secret");
    }
    assertThat(
            hub.requests("GET", "/kyutai/tiny-model/resolve/main/config.json")
                .get(0)
                .header("Authorization"))
        .isEqualTo("Bearer hf_secret");
    assertThat(hub.requests("GET", "/cdn/").get(0).header("Authorization")).isNull();
  }

  @Test
  void noTokenNoAuthorizationHeader() throws Exception {
    hub.put(REPO, "config.json", "{}".getBytes(StandardCharsets.UTF_8), false);

    downloader(Optional.empty()).download(REPO, "main", "config.json");

    assertThat(hub.requests())
        .isNotEmpty()
        .allSatisfy(r -> assertThat(r.header("Authorization")).isNull());
  }

  @Test
  void aPrivateRepoWithoutTokenSaysToSetHfToken() {
    hub.put(REPO, "config.json", "{}".getBytes(StandardCharsets.UTF_8), false);
    hub.requireToken("hf_secret");

    assertThatThrownBy(() -> downloader(Optional.empty()).download(REPO, "main", "config.json"))
        .isInstanceOf(HubException.class)
        .hasMessageContaining("HF_TOKEN");
  }

  @Test
  void aMissingFileIsRecordedAsPythonRecordsIt() throws Exception {
    String commit = hub.put(REPO, "model.safetensors", new byte[] {1}, true);

    assertThatThrownBy(() -> downloader(Optional.empty()).download(REPO, "main", "config.json"))
        .isInstanceOf(HubEntryNotFoundException.class)
        .hasMessageContaining("config.json");
    assertThat(repoDir().resolve(".no_exist").resolve(commit).resolve("config.json")).exists();
    assertThat(Files.readString(repoDir().resolve("refs/main"))).isEqualTo(commit);
  }

  @Test
  void aBlobSharedWithAnotherSnapshotIsLinkedNotFetched() throws Exception {
    byte[] weights = Digests.randomBytes(50_000, 7);
    String commit = hub.put(REPO, "model.safetensors", weights, true);
    String sha = Digests.sha256(weights);
    Path blob = repoDir().resolve("blobs").resolve(sha);
    Files.createDirectories(blob.getParent());
    Files.write(blob, weights);

    Path p = downloader(Optional.empty()).download(REPO, commit, "model.safetensors");

    assertThat(Files.readAllBytes(p)).isEqualTo(weights);
    assertThat(hub.requests("GET", "/")).isEmpty();
    assertThat(repoDir().resolve("refs")).doesNotExist(); // a commit revision needs no ref
  }

  @Test
  void anUnreachableHubIsReportedAsSuch() throws Exception {
    int port;
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    HubSettings settings =
        new HubSettings(
            cacheRoot, java.net.URI.create("http://127.0.0.1:" + port), Optional.empty(), false);
    HubDownloader d = new HubDownloader(settings, new HubCache(cacheRoot), DownloadProgress.NONE);

    assertThatThrownBy(() -> d.download(REPO, "main", "config.json"))
        .isInstanceOf(HubUnreachableException.class)
        .hasMessageContaining("127.0.0.1:" + port);
  }

  @Test
  void headReadsTheHubsMetadataWithoutDownloading() throws Exception {
    byte[] weights = Digests.randomBytes(70_000, 8);
    byte[] json = "{\"n_q\": 8}".getBytes(StandardCharsets.UTF_8);
    String commit = hub.put(REPO, "model.safetensors", weights, true);
    hub.put(REPO, "config.json", json, false);
    HubDownloader d = downloader(Optional.empty());

    HubFileMetadata lfs = d.head(REPO, "main", "model.safetensors");
    HubFileMetadata small = d.head(REPO, "main", "config.json");

    assertThat(lfs)
        .isEqualTo(
            new HubFileMetadata(
                commit,
                Digests.sha256(weights),
                weights.length,
                java.net.URI.create(hub.endpoint() + "/cdn/" + Digests.sha256(weights))));
    assertThat(lfs.etagIsSha256()).isTrue();
    assertThat(small)
        .isEqualTo(
            new HubFileMetadata(
                commit,
                Digests.gitBlobSha1(json),
                json.length,
                d.fileUrl(REPO, "main", "config.json")));
    assertThat(small.etagIsSha256()).isFalse();
    assertThat(hub.requests("GET", "/")).isEmpty();
    assertThat(cacheRoot).isEmptyDirectory();
  }

  @Test
  void urlsArePercentEncodedLikeHuggingfaceHub() {
    HubDownloader d = downloader(Optional.empty());
    assertThat(d.fileUrl("kyutai/tts-voices", "refs/pr/1", "expresso/ex03 happy.wav").toString())
        .isEqualTo(
            hub.endpoint() + "/kyutai/tts-voices/resolve/refs%2Fpr%2F1/expresso/ex03%20happy.wav");
  }
}
