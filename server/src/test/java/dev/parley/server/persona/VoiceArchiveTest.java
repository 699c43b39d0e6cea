package dev.parley.server.persona;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link VoiceArchive} on archives made by the system's GNU {@code tar}, hostile ones included:
 * only plain voice files directly in {@code voices/} come out, limits hold, and a failed extraction
 * leaves nothing behind.
 */
class VoiceArchiveTest {
  @TempDir Path work;

  @Test
  void onlyPlainVoiceFilesInVoicesComeOut() throws Exception {
    Path stage = Files.createDirectories(work.resolve("stage"));
    Path v = Files.createDirectories(stage.resolve("voices"));
    Files.writeString(v.resolve("A.wav"), "wav A");
    Files.writeString(v.resolve("A.pt"), "pickle A");
    Files.writeString(v.resolve("B.WAV"), "wav B");
    Files.writeString(v.resolve("notes.txt"), "not a voice");
    Files.writeString(v.resolve("._A.wav"), "macOS fork");
    Files.createDirectories(v.resolve("sub"));
    Files.writeString(v.resolve("sub/C.wav"), "nested");
    Files.createLink(v.resolve("hard.wav"), v.resolve("A.wav"));
    Files.createSymbolicLink(v.resolve("link.wav"), Path.of("/etc/passwd"));
    Files.writeString(work.resolve("escape.wav"), "outside");
    Files.writeString(stage.resolve("escape2.wav"), "outside too");
    Path archive =
        SystemTar.tgz(
            stage,
            work.resolve("voices.tgz"),
            "voices",
            "voices/A.wav",
            "voices/A.pt",
            "./voices/B.WAV",
            "voices/notes.txt",
            "voices/._A.wav",
            "voices/sub",
            "voices/sub/C.wav",
            "voices/hard.wav",
            "voices/link.wav",
            "../escape.wav",
            "voices/../escape2.wav");
    Path snapshot = Files.createDirectories(work.resolve("cache/snapshot"));
    Path target = snapshot.resolve("voices");

    VoiceArchive.Result r = VoiceArchive.extract(archive, target, VoiceArchive.Limits.DEFAULT);

    assertThat(SystemTar.names(target)).containsExactly("A.pt", "A.wav", "B.WAV");
    assertThat(Files.readString(target.resolve("A.wav"))).isEqualTo("wav A");
    assertThat(Files.readString(target.resolve("B.WAV"))).isEqualTo("wav B");
    assertThat(Files.isSymbolicLink(target.resolve("A.wav"))).isFalse();
    assertThat(r.extracted()).containsExactly("A.wav", "A.pt", "B.WAV");
    assertThat(String.join("\n", r.skipped()))
        .contains("voices/hard.wav (not a regular file)")
        .contains("voices/link.wav (not a regular file)")
        .contains("../escape.wav")
        .contains("voices/../escape2.wav")
        .contains("voices/sub/C.wav")
        .contains("voices/notes.txt");
    // Nothing landed beside the folder or above it, and no temporary folder is left.
    assertThat(SystemTar.names(snapshot)).containsExactly("voices");
    assertThat(SystemTar.names(work.resolve("cache"))).containsExactly("snapshot");
    assertThat(Files.readString(work.resolve("escape.wav"))).isEqualTo("outside");
  }

  @Test
  void aFileOverTheLimitIsSkippedAndAnArchiveOverTheTotalIsRefused() throws Exception {
    Path stage = Files.createDirectories(work.resolve("stage"));
    Path v = Files.createDirectories(stage.resolve("voices"));
    Files.write(v.resolve("small.wav"), new byte[600]);
    Files.write(v.resolve("big.wav"), new byte[1001]);
    Files.write(v.resolve("other.wav"), new byte[600]);
    Path target = work.resolve("out/voices");

    Path one = SystemTar.tgz(stage, work.resolve("one.tgz"), "voices/small.wav", "voices/big.wav");
    VoiceArchive.Result r =
        VoiceArchive.extract(one, target, new VoiceArchive.Limits(1000, 1000, 10));
    assertThat(SystemTar.names(target)).containsExactly("small.wav");
    assertThat(r.skipped()).singleElement().asString().contains("big.wav").contains("1001 bytes");

    Path two =
        SystemTar.tgz(stage, work.resolve("two.tgz"), "voices/small.wav", "voices/other.wav");
    Path target2 = work.resolve("out2/voices");
    assertThatThrownBy(
            () -> VoiceArchive.extract(two, target2, new VoiceArchive.Limits(1000, 1000, 10)))
        .hasMessageContaining("more than 1000 bytes");
    assertThat(SystemTar.names(target2.getParent())).isEmpty();

    Path target3 = work.resolve("out3/voices");
    assertThatThrownBy(
            () -> VoiceArchive.extract(two, target3, new VoiceArchive.Limits(1000, 1 << 20, 1)))
        .hasMessageContaining("more than 1 entries");
    assertThat(SystemTar.names(target3.getParent())).isEmpty();
  }

  @Test
  void aTruncatedArchiveLeavesNoHalfFolder() throws Exception {
    Path stage = Files.createDirectories(work.resolve("stage"));
    Path v = Files.createDirectories(stage.resolve("voices"));
    byte[] noise = new byte[200_000];
    new java.util.Random(7).nextBytes(noise); // incompressible: the cut falls inside the data
    Files.write(v.resolve("first.wav"), noise);
    Files.write(v.resolve("second.wav"), noise);
    Path whole =
        SystemTar.tgz(stage, work.resolve("whole.tgz"), "voices/first.wav", "voices/second.wav");
    byte[] bytes = Files.readAllBytes(whole);
    Path cut = Files.write(work.resolve("cut.tgz"), Arrays.copyOf(bytes, bytes.length * 3 / 4));
    Path target = work.resolve("out/voices");

    assertThatThrownBy(() -> VoiceArchive.extract(cut, target, VoiceArchive.Limits.DEFAULT))
        .isInstanceOf(IOException.class);
    assertThat(SystemTar.names(target.getParent())).isEmpty();
  }

  @Test
  void anArchiveWithoutVoicesCreatesNothing() throws Exception {
    Path stage = Files.createDirectories(work.resolve("stage"));
    Files.writeString(stage.resolve("readme.txt"), "no voices here");
    Path archive = SystemTar.tgz(stage, work.resolve("none.tgz"), "readme.txt");
    Path target = work.resolve("out/voices");

    VoiceArchive.Result r = VoiceArchive.extract(archive, target, VoiceArchive.Limits.DEFAULT);

    assertThat(r.extracted()).isEmpty();
    assertThat(SystemTar.names(target.getParent())).isEmpty();
  }

  @Test
  void aFolderAnotherProcessUnpackedFirstIsKept() throws Exception {
    Path stage = Files.createDirectories(work.resolve("stage"));
    Files.writeString(Files.createDirectories(stage.resolve("voices")).resolve("A.wav"), "ours");
    Path archive = SystemTar.tgz(stage, work.resolve("v.tgz"), "voices/A.wav");
    Path target = Files.createDirectories(work.resolve("out/voices"));
    Files.writeString(target.resolve("A.wav"), "theirs");

    VoiceArchive.extract(archive, target, VoiceArchive.Limits.DEFAULT);

    assertThat(Files.readString(target.resolve("A.wav"))).isEqualTo("theirs");
    assertThat(SystemTar.names(target.getParent())).containsExactly("voices");
  }
}
