package dev.parley.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavWriter;
import dev.parley.server.ParleyServer;
import dev.parley.server.model.ModelReference.HubRepository;
import dev.parley.server.persona.PersonaPlexTiny;
import dev.parley.server.persona.PromptVoices;
import dev.parley.server.persona.RepoVoices;
import dev.parley.server.persona.SystemTar;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tiny PersonaPlex checkpoint as a repository on a loopback hub, with a {@code voices.tgz} laid
 * out as the fork's (made by the system's {@code tar}, hostile entries included): its WAV voices
 * are unpacked once into the cache and listed by a real server's {@code /api/prompt_voices}, a
 * second start and an offline one use them without the network, PersonaPlex's {@code .pt} names
 * reach the WAVs, and a repository without the archive simply has no voices.
 */
class PromptVoicesFromHubTest {
  static final String REPO = "nvidia/personaplex-tiny";
  @TempDir Path cacheRoot;
  @TempDir Path work;
  private FakeHub hub;

  /** A hub serving the tiny checkpoint, without voices until a test adds them. */
  @BeforeEach
  void publish() throws Exception {
    hub = new FakeHub();
    publishModel(REPO);
  }

  @AfterEach
  void stop() {
    hub.close();
  }

  private ModelResolver resolver(boolean offline) {
    return hub.resolver(cacheRoot, offline);
  }

  /** The checkpoint's files, each as a hub file (JSON small, the rest LFS). */
  private void publishModel(String repo) throws Exception {
    Path ckpt = PersonaPlexTiny.checkpoint(work.resolve("ckpt-" + repo.replace('/', '_')));
    try (Stream<Path> files = Files.list(ckpt)) {
      for (Path f : files.toList()) {
        String name = f.getFileName().toString();
        hub.put(repo, name, Files.readAllBytes(f), !name.endsWith(".json"));
      }
    }
  }

  /** voices/NATF2.wav (the golden voice), NATM1.wav, their .pt files and hostile entries. */
  private void publishVoices(String repo) throws Exception {
    Path stage = Files.createDirectories(work.resolve("stage"));
    Path v = Files.createDirectories(stage.resolve("voices"));
    WavWriter.writeMono(
        v.resolve("NATF2.wav"), PersonaPlexTiny.voice(), 24000, WavEncoding.FLOAT32);
    WavWriter.writeMono(v.resolve("NATM1.wav"), natm1(), 24000, WavEncoding.FLOAT32);
    Files.writeString(v.resolve("NATF2.pt"), "a torch pickle");
    Files.writeString(v.resolve("VARF0.pt"), "a torch pickle without a wav");
    Files.createSymbolicLink(v.resolve("LINK.wav"), Path.of("/etc/passwd"));
    Files.writeString(work.resolve("escape.wav"), "outside");
    Path archive =
        SystemTar.tgz(
            stage,
            work.resolve("voices.tgz"),
            "voices",
            "voices/NATF2.pt",
            "voices/NATF2.wav",
            "voices/NATM1.wav",
            "voices/VARF0.pt",
            "voices/LINK.wav",
            "../escape.wav");
    hub.put(repo, RepoVoices.ARCHIVE, Files.readAllBytes(archive), true);
  }

  /** A second voice: the golden one at half level, so the two differ. */
  private static float[] natm1() throws Exception {
    float[] v = PersonaPlexTiny.voice();
    for (int i = 0; i < v.length; i++) {
      v[i] *= 0.5f;
    }
    return v;
  }

  private int archiveRequests() {
    return (int) hub.requests().stream().filter(r -> r.path().contains(RepoVoices.ARCHIVE)).count();
  }

  private static JsonNode promptVoices(ParleyServer server, String key) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/api/prompt_voices"))
                    .header("Authorization", "Bearer " + key)
                    .build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    assertThat(r.statusCode()).isEqualTo(200);
    return new ObjectMapper().readTree(r.body());
  }

  @Test
  void theRepositorysVoicesAreUnpackedOnceAndServed() throws Exception {
    publishVoices(REPO);
    HubRepository repo = new HubRepository(REPO);
    try (SpeechModel model =
        SpeechModel.load(repo, resolver(false), Device.cpu(), DataType.FLOAT32)) {
      assertThat(model.personaPlex()).isPresent();
      // A folder given on the command line wins: the archive is not even asked about.
      Path given = Files.createDirectories(work.resolve("given"));
      PromptVoices fromFolder = RepoVoices.choose(given, model, repo, resolver(false));
      assertThat(fromFolder.folder()).contains(given);
      assertThat(archiveRequests()).isZero();

      PromptVoices voices = RepoVoices.choose(null, model, repo, resolver(false));

      Path snapshot = new HubCache(cacheRoot).snapshotDir(REPO, hub.commit(REPO));
      Path folder = snapshot.resolve("voices");
      assertThat(voices.folder()).contains(folder);
      assertThat(SystemTar.names(folder))
          .containsExactly("NATF2.pt", "NATF2.wav", "NATM1.wav", "VARF0.pt");
      // Neither the link nor the climbing entry came out anywhere in the cache.
      try (Stream<Path> all = Files.walk(cacheRoot)) {
        assertThat(all.map(p -> p.getFileName().toString()))
            .doesNotContain("escape.wav", "LINK.wav");
      }
      assertThat(voices.names()).containsExactly("NATF2", "NATM1");
      assertThat(voices.embeddingsOnly()).containsExactly("VARF0");

      // Named as PersonaPlex's clients name them: the .pt name reaches the WAV.
      float[] natf2 = PersonaPlexTiny.voice();
      assertThat(voices.load("NATF2.pt")).containsExactly(natf2);
      assertThat(voices.load("NATF2.wav")).containsExactly(natf2);
      assertThat(voices.load("NATM1")).containsExactly(natm1());
      assertThatThrownBy(() -> voices.load("VARF0.pt"))
          .hasMessageContaining(".pt embedding")
          .hasMessageContaining("available: NATF2, NATM1");
      assertThatThrownBy(() -> voices.load("nobody.pt"))
          .hasMessage("unknown voice prompt 'nobody.pt'; available: NATF2, NATM1");

      try (ParleyServer server = PersonaPlexTiny.serve(model, "hub-key")) {
        server.engine().usePromptVoices(voices);
        assertThat(promptVoices(server, "hub-key").get("voices").toString())
            .isEqualTo("[\"NATF2\",\"NATM1\"]");
        assertThat(server.engine().prompt(null, "NATF2.pt").voice()).isNotNull();
      }

      // A second start finds the folder: no request, and the folder is the same one.
      Object unpacked = Files.readAttributes(folder, BasicFileAttributes.class).fileKey();
      int requests = hub.requests().size();
      PromptVoices again = RepoVoices.choose(null, model, repo, resolver(false));
      assertThat(again.names()).containsExactly("NATF2", "NATM1");
      assertThat(hub.requests()).hasSize(requests);
      assertThat(Files.readAttributes(folder, BasicFileAttributes.class).fileKey())
          .isEqualTo(unpacked);

      // Offline, from the cache; and unpacked from the cached archive when the folder is gone.
      assertThat(RepoVoices.choose(null, model, repo, resolver(true)).names())
          .containsExactly("NATF2", "NATM1");
      try (Stream<Path> s = Files.walk(folder)) {
        for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
      assertThat(RepoVoices.choose(null, model, repo, resolver(true)).names())
          .containsExactly("NATF2", "NATM1");
      assertThat(hub.requests()).hasSize(requests);
      assertThat(SystemTar.names(snapshot)).doesNotContain("escape.wav").contains("voices");
    }
  }

  @Test
  void aRepositoryWithoutVoicesHasNoneAndStillStarts() throws Exception {
    HubRepository repo = new HubRepository(REPO);
    try (SpeechModel model =
        SpeechModel.load(repo, resolver(false), Device.cpu(), DataType.FLOAT32)) {
      assertThat(RepoVoices.choose(null, model, repo, resolver(false)).names()).isEmpty();
      assertThat(archiveRequests()).isEqualTo(1);
      // The hub's answer was recorded: offline now, the repository is known to have none.
      assertThat(RepoVoices.choose(null, model, repo, resolver(true)).names()).isEmpty();
      assertThat(archiveRequests()).isEqualTo(1);
    }
    // Offline with nothing cached, whether there are voices cannot be known: none, no failure.
    publishVoices("nvidia/other");
    assertThat(RepoVoices.fromHub(resolver(true), new HubRepository("nvidia/other")).names())
        .isEmpty();
  }

  @Test
  void aLocalCheckpointTakesVoicesOnlyFromAFolder() throws Exception {
    try (SpeechModel model = PersonaPlexTiny.load(work)) {
      ModelReference local = ModelReference.parse(work.resolve("personaplex").toString());
      assertThat(RepoVoices.choose(null, model, local, resolver(false)).folder()).isEmpty();
      Path dir = Files.createDirectories(work.resolve("mine"));
      WavWriter.writeMono(dir.resolve("me.wav"), natm1(), 16000, WavEncoding.PCM_S16);
      assertThat(RepoVoices.choose(dir, model, local, resolver(false)).names())
          .containsExactly("me");
      assertThat(hub.requests()).isEmpty();
    }
  }
}
