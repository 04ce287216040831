package fr.acecinema.switchboard.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  void replacesContentAndKeepsPermissions() throws Exception {
    Path file = dir.resolve("api.yaml");
    Files.writeString(file, "old\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));

    AtomicFiles.write(file, "new \u00e9\n");

    assertThat(Files.readString(file)).isEqualTo("new \u00e9\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-r-----");
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void vetoedWriteLeavesFileAndNoTemporary() throws Exception {
    Path file = dir.resolve("api.yaml");
    Files.writeString(file, "old\n");

    boolean written = AtomicFiles.write(file, "new\n", () -> false);

    assertThat(written).isFalse();
    assertThat(Files.readString(file)).isEqualTo("old\n");
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void writesThroughASymlinkKeepingTheLink() throws Exception {
    Path real = dir.resolve("real.yaml");
    Files.writeString(real, "old\n");
    Path link = Files.createSymbolicLink(dir.resolve("link.yaml"), real);

    AtomicFiles.write(link, "new\n");

    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(Files.readString(real)).isEqualTo("new\n");
  }

  @Test
  void temporaryNamesAreHidden() throws Exception {
    Path file = dir.resolve("api.yaml");
    Files.writeString(file, "old\n");
    AtomicFiles.write(
        file,
        "new\n",
        () -> {
          try (var files = Files.list(dir)) {
            Path temp = files.filter(p -> !p.equals(file)).findFirst().orElseThrow();
            assertThat(AtomicFiles.isTemporary(temp.getFileName().toString())).isTrue();
            assertThat(temp.getFileName().toString()).startsWith(".");
          }
          return true;
        });
  }
}
