package dev.parley.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.server.model.FileReference.InModel;
import dev.parley.server.model.FileReference.InRepository;
import dev.parley.server.model.FileReference.LocalFile;
import dev.parley.server.model.ModelReference.HubRepository;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FileReferenceTest {

  @Test
  void plainNamesAreFilesOfTheModel() {
    assertThat(FileReference.parse("model.safetensors"))
        .isEqualTo(new InModel("model.safetensors"));
    assertThat(FileReference.parse("sub/dir/x.json")).isEqualTo(new InModel("sub/dir/x.json"));
  }

  @Test
  void hfReferencesNameAnotherRepository() {
    assertThat(FileReference.parse("hf://kyutai/mimi/sub/mimi.safetensors"))
        .isEqualTo(
            new InRepository(new HubRepository("kyutai/mimi", "main"), "sub/mimi.safetensors"));
  }

  @Test
  void fileReferencesAreLocalPaths() {
    assertThat(FileReference.parse("file:///opt/models/tok.model"))
        .isEqualTo(new LocalFile(Path.of("/opt/models/tok.model")));
    assertThat(FileReference.parse("file://rel/tok.model"))
        .isEqualTo(new LocalFile(Path.of("rel/tok.model")));
  }

  @Test
  void namesThatWouldLeaveTheSnapshotAreRefused() {
    for (String bad :
        new String[] {
          "../etc/passwd",
          "/abs/model",
          "a//b",
          "a/./b",
          "hf://kyutai/mimi/../x",
          "hf://kyutai/mimi",
          "hf://kyutai/mimi/",
          "file://",
          ""
        }) {
      assertThatThrownBy(() -> FileReference.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
