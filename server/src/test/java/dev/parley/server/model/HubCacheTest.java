package dev.parley.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache is read as Python's huggingface_hub writes it (see {@link PythonCacheLayout}). */
class HubCacheTest {
  private static final String REPO = "kyutai/moshiko-pytorch-bf16";
  private static final String COMMIT = Digests.commit("moshiko");

  @TempDir Path root;

  @Test
  void findsAFileThroughRefsAndTheSnapshotSymlink() throws Exception {
    byte[] weights = Digests.randomBytes(4096, 11);
    PythonCacheLayout.put(root, REPO, "main", COMMIT, "model.safetensors", weights, true);
    HubCache cache = new HubCache(root);

    Path found = cache.find(REPO, "main", "model.safetensors").orElseThrow();

    assertThat(found)
        .isEqualTo(
            root.resolve(
                "models--kyutai--moshiko-pytorch-bf16/snapshots/" + COMMIT + "/model.safetensors"));
    assertThat(Files.readAllBytes(found)).isEqualTo(weights);
    assertThat(cache.commitOf(REPO, "main")).contains(COMMIT);
  }

  @Test
  void aCommitRevisionNeedsNoRef() throws Exception {
    byte[] tok = "spm".getBytes(StandardCharsets.UTF_8);
    PythonCacheLayout.put(root, REPO, COMMIT, COMMIT, "tokenizer_spm_32k_3.model", tok, true);
    HubCache cache = new HubCache(root);

    assertThat(cache.find(REPO, COMMIT, "tokenizer_spm_32k_3.model").map(HubCacheTest::read))
        .contains("spm");
    assertThat(cache.find(REPO, "main", "tokenizer_spm_32k_3.model")).isEmpty();
  }

  @Test
  void filesInSubfoldersAreFound() throws Exception {
    PythonCacheLayout.put(root, REPO, "main", COMMIT, "voices/a.safetensors", "v".getBytes(), true);
    assertThat(
            new HubCache(root).find(REPO, "main", "voices/a.safetensors").map(HubCacheTest::read))
        .contains("v");
  }

  @Test
  void aLinkWhoseBlobIsGoneIsNotFound() throws Exception {
    byte[] weights = "w".getBytes();
    PythonCacheLayout.put(root, REPO, "main", COMMIT, "model.safetensors", weights, true);
    Files.delete(
        root.resolve("models--kyutai--moshiko-pytorch-bf16/blobs/" + Digests.sha256(weights)));

    assertThat(new HubCache(root).find(REPO, "main", "model.safetensors")).isEmpty();
  }

  @Test
  void nothingCachedIsEmpty() throws Exception {
    HubCache cache = new HubCache(root);
    assertThat(cache.find(REPO, "main", "model.safetensors")).isEmpty();
    assertThat(cache.commitOf(REPO, "main")).isEmpty();
    assertThat(cache.isKnownMissing(REPO, "main", "config.json")).isFalse();
  }

  @Test
  void readsPythonsNoExistMarkers() throws Exception {
    PythonCacheLayout.noExist(root, REPO, "main", COMMIT, "config.json");
    HubCache cache = new HubCache(root);
    assertThat(cache.isKnownMissing(REPO, "main", "config.json")).isTrue();
    assertThat(cache.isKnownMissing(REPO, "main", "model.safetensors")).isFalse();
  }

  @Test
  void aRefThatHoldsNoCommitIsIgnored() throws Exception {
    Path ref = root.resolve("models--kyutai--moshiko-pytorch-bf16/refs/main");
    Files.createDirectories(ref.getParent());
    Files.writeString(ref, "../../../etc");
    assertThat(new HubCache(root).find(REPO, "main", "model.safetensors")).isEmpty();
  }

  @Test
  void writesRefsAndLinksAsPythonDoes() throws Exception {
    HubCache cache = new HubCache(root);
    byte[] data = "blob".getBytes();
    Path blob = cache.blobPath(REPO, Digests.sha256(data));
    Files.createDirectories(blob.getParent());
    Files.write(blob, data);

    Path pointer = cache.link(REPO, COMMIT, "sub/f.bin", blob);
    cache.writeRef(REPO, "main", COMMIT);

    assertThat(Files.readSymbolicLink(pointer))
        .isEqualTo(Path.of("../../../blobs/" + Digests.sha256(data)));
    assertThat(Files.readString(root.resolve("models--kyutai--moshiko-pytorch-bf16/refs/main")))
        .isEqualTo(COMMIT);
  }

  @Test
  void namesThatEscapeTheCacheAreRefused() {
    HubCache cache = new HubCache(root);
    assertThatThrownBy(() -> cache.snapshotPath(REPO, COMMIT, "../../x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> cache.snapshotPath(REPO, "main", "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> cache.blobPath(REPO, "../x"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
