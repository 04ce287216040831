package fr.acecinema.switchboard.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
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
  void refusesToWriteThroughASymlinkAndLeavesBothAlone() throws Exception {
    Path real = dir.resolve("real.yaml");
    Files.writeString(real, "old\n");
    Path link = Files.createSymbolicLink(dir.resolve("link.yaml"), real);

    assertThatThrownBy(() -> AtomicFiles.write(link, "new\n"))
        .isInstanceOf(ConfinedDirectory.LinkRefusedException.class);

    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(Files.readString(real)).isEqualTo("old\n");
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactlyInAnyOrder(real, link);
    }
  }

  @Test
  void keepsTheOwnerGroupAndModeOfTheFileItReplaces() throws Exception {
    Path file = dir.resolve("api.yaml");
    Files.writeString(file, "old\n");
    var view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    boolean root = "root".equals(view.readAttributes().owner().getName());
    if (root) {
      var users = file.getFileSystem().getUserPrincipalLookupService();
      view.setOwner(users.lookupPrincipalByName("1234"));
      view.setGroup(users.lookupPrincipalByGroupName("5678"));
    }
    var before = view.readAttributes();

    assertThat(AtomicFiles.write(file, "new\n", () -> true, AtomicFiles.Settling.of(Duration.ZERO)))
        .isEqualTo(AtomicFiles.Result.WRITTEN);

    var after = Files.getFileAttributeView(file, PosixFileAttributeView.class).readAttributes();
    assertThat(Files.readString(file)).isEqualTo("new\n");
    assertThat(after.permissions()).isEqualTo(before.permissions());
    assertThat(after.owner()).isEqualTo(before.owner());
    assertThat(after.group()).isEqualTo(before.group());
  }

  @Test
  void neverReplacesAFileThatIsStillOpenForWriting() throws Exception {
    boolean capable = Posix.available();
    // Under CI a missing capability fails the test; elsewhere it skips it.
    if ("true".equals(System.getenv("CI"))) {
      org.assertj.core.api.Assertions.assertThat(capable).as("read leases need Linux").isTrue();
    }
    assumeTrue(capable, "read leases need Linux");
    Path file = dir.resolve("api.yaml");
    Files.writeString(file, "old\n");
    try (var writer = Files.newOutputStream(file, StandardOpenOption.APPEND)) {
      writer.write("half".getBytes());
      writer.flush();
      assertThat(AtomicFiles.beingWritten(file)).isTrue();
      assertThat(
              AtomicFiles.write(
                  file, "status\n", () -> true, AtomicFiles.Settling.of(Duration.ZERO)))
          .isEqualTo(AtomicFiles.Result.BUSY);
      writer.write(" and the rest\n".getBytes());
    }
    assertThat(Files.readString(file)).isEqualTo("old\nhalf and the rest\n");
    assertThat(AtomicFiles.beingWritten(file)).isFalse();
    assertThat(
            AtomicFiles.write(file, "status\n", () -> true, AtomicFiles.Settling.of(Duration.ZERO)))
        .isEqualTo(AtomicFiles.Result.WRITTEN);
  }

  @Test
  void withoutLeasesAFileChangedWithinTheQuietPeriodIsBusy() throws Exception {
    Path file = dir.resolve("api.yaml");
    Files.writeString(file, "old\n");
    var settling = new AtomicFiles.Settling(Duration.ofMillis(400), false);

    assertThat(AtomicFiles.write(file, "new\n", () -> true, settling))
        .isEqualTo(AtomicFiles.Result.BUSY);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                AtomicFiles.write(file, "new\n", () -> true, settling)
                    == AtomicFiles.Result.WRITTEN);
    assertThat(Files.readString(file)).isEqualTo("new\n");
  }

  @Test
  void aProcessOpeningTheLeasedFileForWritingWaitsAndTheJvmSurvivesTheBreak() throws Exception {
    boolean capable = Posix.available();
    // Under CI a missing capability fails the test; elsewhere it skips it.
    if ("true".equals(System.getenv("CI"))) {
      org.assertj.core.api.Assertions.assertThat(capable).as("read leases need Linux").isTrue();
    }
    assumeTrue(capable, "read leases need Linux");
    Path file = dir.resolve("api.yaml");
    Files.writeString(file, "old\n");
    Process appender;
    try (FileLease lease = FileLease.take(file)) {
      assertThat(lease.busy()).isFalse();
      assertThat(lease.unsupported()).isFalse();
      appender =
          new ProcessBuilder("sh", "-c", "printf 'appended\\n' >> \"$0\"", file.toString()).start();
      // The kernel tells the lease holder with a signal (SIGURG here, ignored; SIGIO would kill
      // the JVM) and makes the opener wait.
      await().atMost(Duration.ofSeconds(10)).until(lease::broken);
      assertThat(appender.isAlive()).isTrue();
      assertThat(Files.readString(file)).isEqualTo("old\n");
    }
    assertThat(appender.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(appender.exitValue()).isZero();
    assertThat(Files.readString(file)).isEqualTo("old\nappended\n");
  }

  @Test
  void onlyItsOwnTemporaryNamesAreRecognisedForCleanup() {
    assertThat(AtomicFiles.isOurTemporary(".switchboard-api.yaml-4242-0a1b2c3d.tmp")).isTrue();
    assertThat(AtomicFiles.writerOf(".switchboard-api.yaml-4242-0a1b2c3d.tmp")).hasValue(4242);
    assertThat(AtomicFiles.isOurTemporary(".switchboard-api.yaml-4242-0a1b2c3d-previous.tmp"))
        .isTrue();
    assertThat(AtomicFiles.isOurTemporary(".switchboard-a-1.yaml-0a1b2c3d.tmp")).isTrue();
    assertThat(AtomicFiles.writerOf(".switchboard-a-1.yaml-0a1b2c3d.tmp")).isEmpty();
    assertThat(AtomicFiles.isOurTemporary(".switchboard-notes.tmp")).isFalse();
    assertThat(AtomicFiles.isOurTemporary(".api.yaml.tmp")).isFalse();
    assertThat(AtomicFiles.isOurTemporary("switchboard-api.yaml-4242-0a1b2c3d.tmp")).isFalse();
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
