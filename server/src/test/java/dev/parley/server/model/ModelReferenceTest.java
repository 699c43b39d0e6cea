package dev.parley.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.server.model.ModelReference.Demo;
import dev.parley.server.model.ModelReference.HubRepository;
import dev.parley.server.model.ModelReference.LocalDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelReferenceTest {
  @TempDir Path dir;

  @Test
  void anExistingDirectoryIsLocal() {
    assertThat(ModelReference.parse(dir.toString()))
        .isEqualTo(new LocalDirectory(dir.toAbsolutePath().normalize()));
  }

  @Test
  void aRepoIdDefaultsToMain() {
    assertThat(ModelReference.parse("kyutai/moshiko-pytorch-bf16"))
        .isEqualTo(new HubRepository("kyutai/moshiko-pytorch-bf16", "main"));
  }

  @Test
  void aRevisionFollowsTheAt() {
    assertThat(ModelReference.parse("kyutai/stt-1b-en_fr@v1.0"))
        .isEqualTo(new HubRepository("kyutai/stt-1b-en_fr", "v1.0"));
    String commit = "0123456789abcdef0123456789abcdef01234567";
    assertThat(ModelReference.parse("kyutai/mimi@" + commit))
        .isEqualTo(new HubRepository("kyutai/mimi", commit));
    assertThat(ModelReference.parse("kyutai/mimi@refs/pr/3"))
        .isEqualTo(new HubRepository("kyutai/mimi", "refs/pr/3"));
  }

  @Test
  void demoIsTheBuiltInModel() {
    assertThat(ModelReference.parse("demo")).isEqualTo(new Demo());
    assertThat(ModelReference.parse(" demo ")).isInstanceOf(Demo.class);
    assertThat(((Demo) ModelReference.parse("demo")).isStt()).isFalse();
  }

  @Test
  void demoSttIsTheBuiltInTranscriptionModel() {
    ModelReference ref = ModelReference.parse("demo-stt");
    assertThat(ref).isEqualTo(Demo.stt()).isEqualTo(new Demo("demo-stt")).isNotEqualTo(new Demo());
    assertThat(((Demo) ref).isStt()).isTrue();
    assertThat(ref.toString()).isEqualTo("demo-stt");
    assertThat(ModelReference.parse(" demo-stt ")).isEqualTo(ref);
    assertThatThrownBy(() -> new Demo("demo-tts")).hasMessageContaining("not a built-in model");
    assertThatThrownBy(() -> ModelReference.parse("demo-tts"))
        .hasMessageContaining("--model demo-stt");
  }

  @Test
  void aDirectoryNamedDemoSttNeedsAPathPrefix() throws Exception {
    Path local = Files.createDirectories(dir.resolve("demo-stt"));
    assertThat(ModelReference.parse(local.toString())).isInstanceOf(LocalDirectory.class);
  }

  @Test
  void anExistingDirectoryWinsOverARepoIdOfTheSameSpelling() throws Exception {
    Path owner = Files.createDirectories(dir.resolve("kyutai/local-copy"));
    assertThat(ModelReference.parse(owner.toString())).isInstanceOf(LocalDirectory.class);
  }

  @Test
  void aFileIsNotAModelDirectory() throws Exception {
    Path file = Files.writeString(dir.resolve("model.safetensors"), "x");
    assertThatThrownBy(() -> ModelReference.parse(file.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is a file, not a directory");
  }

  @Test
  void aMissingPathIsNotMistakenForARepo() {
    assertThatThrownBy(() -> ModelReference.parse(dir.resolve("nope").toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no such directory");
    assertThatThrownBy(() -> ModelReference.parse("./models/moshi"))
        .hasMessageContaining("no such directory");
  }

  @Test
  void anythingElseIsRefusedWithTheAcceptedForms() {
    for (String bad :
        new String[] {
          "",
          "  ",
          "moshi",
          "a/b/c",
          "-bad/name",
          "owner/na--me",
          "owner/..x",
          "owner/name.git",
          "owner/name@",
          "owner/name@../../etc",
          "owner/name@has space"
        }) {
      assertThatThrownBy(() -> ModelReference.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("--model");
    }
    assertThatThrownBy(() -> ModelReference.parse("moshi"))
        .hasMessageContaining("kyutai/moshiko-pytorch-bf16")
        .hasMessageContaining("--model demo")
        .hasMessageContaining("/path/to/dir");
  }

  @Test
  void printsAsTheUserWouldWriteIt() {
    assertThat(ModelReference.parse("kyutai/mimi")).hasToString("kyutai/mimi@main");
    assertThat(ModelReference.parse("demo")).hasToString("demo");
  }
}
