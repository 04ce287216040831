package fr.acecinema.switchboard.source.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.source.Rejection;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestDirectorySourceTest {
  @TempDir Path temp;
  private final RecordingSink sink = new RecordingSink();
  private final List<ManifestDirectorySource> sources = new ArrayList<>();

  @AfterEach
  void closeSources() {
    sources.forEach(ManifestDirectorySource::close);
  }

  private static String backend(String name, int port) {
    return "apiVersion: switchboard.acecinema.fr/v1alpha1\nkind: Backend\nmetadata:\n  name: "
        + name
        + "\nspec:\n  service: api\n  site: lyon\n  address: 10.0.0.1\n  port: "
        + port
        + "\n";
  }

  private ManifestDirectorySource start(Path root, Duration resync) throws IOException {
    return start(root, resync, ManifestFileReader::readAtMost);
  }

  private ManifestDirectorySource start(
      Path root, Duration resync, ManifestDirectorySource.FileReader reader) throws IOException {
    ManifestDirectorySource source =
        new ManifestDirectorySource(
            root, sink, new DocumentAdmission(), new ManifestParser(), resync, reader);
    sources.add(source);
    source.start();
    return source;
  }

  private int port(String location) {
    var state = sink.state.get(location);
    // A non-atomic test write can be read half-way (no document yet): not a port yet.
    if (state == null || state.accepted().isEmpty()) {
      return -1;
    }
    Backend b = (Backend) state.accepted().get(0).resource();
    return b.getSpec().port;
  }

  private static void write(Path file, String content) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
  }

  /** Saves like vim or sed -i: a temporary file renamed over the original. */
  private static void saveByRename(Path file, String content) throws IOException {
    Path swap = file.resolveSibling(file.getFileName() + ".swp");
    Files.writeString(swap, content);
    Files.move(swap, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void initialScanReportsEveryManifestBeforeStartReturnsAndSkipsNoise() throws Exception {
    Path root = temp.resolve("manifests");
    write(root.resolve("a.yaml"), backend("a", 1));
    write(root.resolve("lyon/b.yml"), backend("b", 2) + "---\n" + backend("c", 3));
    write(root.resolve(".hidden.yaml"), backend("h1", 1));
    write(root.resolve(".git/x.yaml"), backend("h2", 1));
    for (String noise :
        List.of("a.yaml~", "#a.yaml#", ".#a.yaml", "a.yaml.swp", "4913", "x.tmp", "notes.txt")) {
      write(root.resolve(noise), backend("noise", 1));
    }

    start(root, Duration.ofMinutes(5));

    assertThat(sink.state.keySet()).containsExactlyInAnyOrder("a.yaml", "lyon/b.yml");
    assertThat(sink.names("lyon/b.yml")).containsExactly("Backend/b", "Backend/c");
    assertThat(sink.state.get("lyon/b.yml").accepted().get(1).origin().line()).isEqualTo(11);
  }

  @Test
  void reportsInPlaceEditsAndRenameSaves() throws Exception {
    Path root = temp.resolve("m");
    Path file = root.resolve("api.yaml");
    write(file, backend("a", 1));
    start(root, Duration.ofMinutes(5));

    Files.writeString(file, backend("a", 2));
    await().atMost(Duration.ofSeconds(5)).until(() -> port("api.yaml") == 2);

    saveByRename(file, backend("a", 3));
    await().atMost(Duration.ofSeconds(5)).until(() -> port("api.yaml") == 3);
    assertThat(sink.state.keySet()).containsExactly("api.yaml");
  }

  @Test
  void deduplicatesBurstsOfEventsForOneFile() throws Exception {
    Path root = temp.resolve("m");
    Path file = root.resolve("api.yaml");
    write(file, backend("a", 1));
    start(root, Duration.ofMinutes(5));

    for (int port = 2; port <= 50; port++) {
      Files.writeString(file, backend("a", port));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> port("api.yaml") == 50);
    // Level-triggered: many writes collapse; identical content is never reported twice in a row.
    assertThat(sink.replaces("api.yaml")).isLessThanOrEqualTo(50);
  }

  @Test
  void deletesAndMovesUpdateLocations() throws Exception {
    Path root = temp.resolve("m");
    write(root.resolve("a.yaml"), backend("a", 1));
    write(root.resolve("b.yaml"), backend("b", 1));
    write(root.resolve("dir/c.yaml"), backend("c", 1));
    start(root, Duration.ofMinutes(5));

    Files.delete(root.resolve("a.yaml"));
    Files.move(
        root.resolve("b.yaml"), root.resolve("renamed.yaml"), StandardCopyOption.ATOMIC_MOVE);
    Files.move(root.resolve("dir"), root.resolve("moved"), StandardCopyOption.ATOMIC_MOVE);

    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(sink.state.keySet())
                    .containsExactlyInAnyOrder("renamed.yaml", "moved/c.yaml"));
    assertThat(sink.calls).contains("remove a.yaml", "remove b.yaml", "remove dir/c.yaml");
  }

  @Test
  void newDirectoriesAreWatched() throws Exception {
    Path root = temp.resolve("m");
    Files.createDirectories(root);
    start(root, Duration.ofMinutes(5));

    write(root.resolve("paris/deep/x.yaml"), backend("x", 1));
    await().atMost(Duration.ofSeconds(5)).until(() -> sink.state.containsKey("paris/deep/x.yaml"));

    Files.writeString(root.resolve("paris/deep/x.yaml"), backend("x", 2));
    await().atMost(Duration.ofSeconds(5)).until(() -> port("paris/deep/x.yaml") == 2);
  }

  @Test
  void rootRemovedAndRecreatedIsWatchedAgain() throws Exception {
    Path root = temp.resolve("m");
    write(root.resolve("a.yaml"), backend("a", 1));
    write(root.resolve("b.yaml"), backend("b", 1));
    start(root, Duration.ofMinutes(5));

    deleteTree(root);
    write(root.resolve("a.yaml"), backend("a", 7));

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(sink.state.keySet()).containsExactly("a.yaml");
              assertThat(port("a.yaml")).isEqualTo(7);
            });
    Files.writeString(root.resolve("a.yaml"), backend("a", 8));
    await().atMost(Duration.ofSeconds(5)).until(() -> port("a.yaml") == 8);
  }

  @Test
  void symlinkLoopsAreNotFollowedForever() throws Exception {
    Path root = temp.resolve("m");
    write(root.resolve("sub/a.yaml"), backend("a", 1));
    Files.createSymbolicLink(root.resolve("sub/loop"), root);
    Files.createSymbolicLink(root.resolve("linked.yaml"), root.resolve("sub/a.yaml"));

    start(root, Duration.ofMinutes(5));

    assertThat(sink.state.keySet()).contains("sub/a.yaml", "linked.yaml");
    assertThat(sink.state.keySet()).allMatch(l -> l.length() < 200);
  }

  @Test
  void unreadableFilesAreRejectedSayingSo() throws Exception {
    Path root = temp.resolve("m");
    write(root.resolve("secret.yaml"), backend("a", 1));
    start(
        root,
        Duration.ofMinutes(5),
        (file, limit) -> {
          throw new AccessDeniedException(file.toString());
        });

    Rejection r = sink.state.get("secret.yaml").rejected().get(0);
    assertThat(r.message())
        .isEqualTo(
            "secret.yaml: file cannot be read: permission denied; make it readable by Switchboard");
    assertThat(r.reason()).isEqualTo("FileUnreadable");
    assertThat(r.writable()).isFalse();
  }

  @Test
  void syntaxErrorsAndInvalidDocumentsAreRejectedOthersAccepted() throws Exception {
    Path root = temp.resolve("m");
    write(root.resolve("broken.yaml"), backend("a", 1) + "  oops: [\n");
    write(
        root.resolve("mixed.yaml"),
        backend("ok", 1) + "---\n" + backend("bad", 1).replace("port", "prot"));
    start(root, Duration.ofMinutes(5));

    Rejection syntax = sink.state.get("broken.yaml").rejected().get(0);
    assertThat(syntax.reason()).isEqualTo("YamlSyntaxError");
    assertThat(syntax.message()).startsWith("broken.yaml:");
    assertThat(sink.names("mixed.yaml")).containsExactly("Backend/ok");
    assertThat(sink.state.get("mixed.yaml").rejected().get(0).message()).contains("spec.prot");
  }

  @Test
  void periodicResyncForgetsLocationsWhoseFileVanished() throws Exception {
    Path root = temp.resolve("m");
    write(root.resolve("a.yaml"), backend("a", 1));
    sink.replace("file", "ghost.yaml", List.of(), List.of());
    start(root, Duration.ofMillis(200));
    assertThat(sink.state.keySet()).containsExactly("a.yaml");

    sink.replace("file", "ghost2.yaml", List.of(), List.of());
    await().atMost(Duration.ofSeconds(5)).until(() -> !sink.state.containsKey("ghost2.yaml"));
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
