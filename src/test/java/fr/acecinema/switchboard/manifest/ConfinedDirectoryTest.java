package fr.acecinema.switchboard.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfinedDirectoryTest {
  @TempDir Path tmp;
  private Path root;
  private Path outside;

  @BeforeEach
  void tree() throws Exception {
    root = Files.createDirectories(tmp.resolve("root")).toRealPath();
    outside = Files.createDirectories(tmp.resolve("outside")).toRealPath();
    Files.createDirectories(root.resolve("a/b"));
  }

  @Test
  void refusesALinkOnTheWayAndMakesMissingDirectoriesWithoutFollowingOne() throws Exception {
    Files.createSymbolicLink(root.resolve("c"), outside);

    try (ConfinedDirectory dir = ConfinedDirectory.open(root, Path.of("a/b"), false)) {
      Files.writeString(dir.resolve("x.yaml"), "x\n");
    }
    assertThat(root.resolve("a/b/x.yaml")).hasContent("x");
    assertThatThrownBy(() -> ConfinedDirectory.open(root, Path.of("c"), true))
        .isInstanceOf(ConfinedDirectory.LinkRefusedException.class);
    assertThatThrownBy(() -> ConfinedDirectory.open(root, Path.of("c/new"), true))
        .isInstanceOf(ConfinedDirectory.LinkRefusedException.class);
    try (ConfinedDirectory dir = ConfinedDirectory.open(root, Path.of("d/e"), true)) {
      assertThat(dir.path()).isDirectory();
    }
    assertThat(root.resolve("d/e")).isDirectory();
    try (var files = Files.list(outside)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void aDirectorySwappedForALinkAfterOpeningCannotRedirectAWrite() throws Exception {
    boolean capable = Posix.available();
    // Under CI a missing capability fails the test; elsewhere it skips it.
    if ("true".equals(System.getenv("CI"))) {
      org.assertj.core.api.Assertions.assertThat(capable)
          .as("descriptor-relative paths need Linux")
          .isTrue();
    }
    assumeTrue(capable, "descriptor-relative paths need Linux");
    try (ConfinedDirectory dir = ConfinedDirectory.open(root, Path.of("a/b"), false)) {
      Files.move(root.resolve("a"), root.resolve("a.old"));
      Files.createSymbolicLink(root.resolve("a"), outside);
      Files.createDirectories(outside.resolve("b"));

      Files.writeString(dir.resolve("x.yaml"), "x\n");
    }
    assertThat(root.resolve("a.old/b/x.yaml")).hasContent("x");
    assertThat(outside.resolve("b/x.yaml")).doesNotExist();
  }

  @Test
  void locatesLinksInsideAndOutsideWithoutProbingWhatExistsOutside() throws Exception {
    Files.writeString(root.resolve("a/b/real.yaml"), "x\n");
    Files.writeString(outside.resolve("be.yaml"), "x\n");
    Files.createSymbolicLink(root.resolve("in.yaml"), Path.of("a/b/real.yaml"));
    Files.createSymbolicLink(root.resolve("out.yaml"), outside.resolve("be.yaml"));
    Files.createSymbolicLink(root.resolve("out-missing.yaml"), outside.resolve("nope.yaml"));
    Files.createSymbolicLink(root.resolve("in-missing.yaml"), Path.of("a/nope.yaml"));
    Files.createSymbolicLink(root.resolve("ext"), outside);

    assertThat(ConfinedDirectory.locate(root, root.resolve("in.yaml")))
        .isEqualTo(new ConfinedDirectory.Inside(root, Path.of("a/b/real.yaml")));
    assertThat(ConfinedDirectory.locate(root, root.resolve("out.yaml")))
        .isInstanceOf(ConfinedDirectory.Outside.class);
    assertThat(ConfinedDirectory.locate(root, root.resolve("out-missing.yaml")))
        .isInstanceOf(ConfinedDirectory.Outside.class);
    assertThat(ConfinedDirectory.locate(root, root.resolve("ext/be.yaml")))
        .isInstanceOf(ConfinedDirectory.Outside.class);
    assertThat(ConfinedDirectory.locate(root, root.resolve("in-missing.yaml")))
        .isInstanceOf(ConfinedDirectory.Unresolved.class);
    assertThat(ConfinedDirectory.locate(root, root.resolve("../outside/be.yaml")))
        .isInstanceOf(ConfinedDirectory.Outside.class);
  }
}
