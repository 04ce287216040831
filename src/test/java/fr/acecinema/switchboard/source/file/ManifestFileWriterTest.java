package fr.acecinema.switchboard.source.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.manifest.ParsedFile;
import fr.acecinema.switchboard.source.Origin;
import fr.acecinema.switchboard.source.StatusWriter;
import fr.acecinema.switchboard.source.StatusWriter.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestFileWriterTest {
  @TempDir Path root;
  private final ManifestParser parser = new ManifestParser();

  private static String backend(String name, int port) {
    return "apiVersion: switchboard.acecinema.fr/v1alpha1\n"
        + "kind: Backend  # keep me\n"
        + "metadata:\n  name: "
        + name
        + "\nspec:\n  service: api\n  site: lyon\n  address: 10.0.0.1\n  port: "
        + port
        + "\n";
  }

  private static ObjectNode status(long observed) {
    ObjectNode s = JsonNodeFactory.instance.objectNode();
    s.put("observedGeneration", observed);
    return s;
  }

  private long generation(Path file, int document) throws Exception {
    return parser.parse(Files.readAllBytes(file)).document(document).orElseThrow().generation();
  }

  @Test
  void writesStatusOfTheRightDocumentAndKeepsTheRest() throws Exception {
    Path file = Files.createDirectories(root.resolve("lyon")).resolve("api.yaml");
    String original = "# backends\n" + backend("a", 80) + "---\n" + backend("b", 81);
    Files.writeString(file, original);
    ManifestFileWriter writer = new ManifestFileWriter(root);
    Origin second = new Origin("file", "lyon/api.yaml", 1, 13);

    Outcome outcome = writer.write(second, generation(file, 1), status(5));

    assertThat(outcome).isEqualTo(Outcome.WRITTEN);
    assertThat(Files.readString(file)).isEqualTo(original + "status:\n  observedGeneration: 5\n");
    assertThat(writer.write(second, generation(file, 1), status(5))).isEqualTo(Outcome.UNCHANGED);
  }

  @Test
  void staleWhenTheGenerationChangedOrTheDocumentIsGone() throws Exception {
    Path file = root.resolve("api.yaml");
    Files.writeString(file, backend("a", 80));
    long old = generation(file, 0);
    Files.writeString(file, backend("a", 81));
    ManifestFileWriter writer = new ManifestFileWriter(root);

    assertThat(writer.write(new Origin("file", "api.yaml", 0, 1), old, status(1)))
        .isEqualTo(Outcome.STALE);
    assertThat(writer.write(new Origin("file", "api.yaml", 3, 1), old, status(1)))
        .isEqualTo(Outcome.STALE);
    assertThat(writer.write(new Origin("file", "gone.yaml", 0, 1), old, status(1)))
        .isEqualTo(Outcome.STALE);
    assertThat(Files.readString(file)).isEqualTo(backend("a", 81));
  }

  @Test
  void staleWhenTheFileNoLongerParses() throws Exception {
    Path file = root.resolve("api.yaml");
    Files.writeString(file, backend("a", 80));
    long generation = generation(file, 0);
    Files.writeString(file, backend("a", 80) + "  bad: [\n");

    assertThat(
            new ManifestFileWriter(root)
                .write(new Origin("file", "api.yaml", 0, 1), generation, status(1)))
        .isEqualTo(Outcome.STALE);
  }

  @Test
  void refusesOriginsOutsideTheRootOrOfAnotherSource() {
    ManifestFileWriter writer = new ManifestFileWriter(root);
    assertThatThrownBy(() -> writer.write(new Origin("file", "../x.yaml", 0, 1), 1, status(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> writer.write(new Origin("table", "x", 0, 0), 1, status(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * One thread edits files like a user (in-place writes and atomic-rename saves, each edit adding a
   * comment line and changing a port), another writes statuses as fast as it can. Every edit must
   * survive and every file must parse at every read.
   */
  @Test
  void neverLosesAUserEditWhileWritingStatuses() throws Exception {
    int files = 3;
    List<Path> paths = new ArrayList<>();
    for (int f = 0; f < files; f++) {
      Path file = root.resolve("f" + f + ".yaml");
      Files.writeString(file, backend("a" + f, 1000) + "---\n" + backend("b" + f, 2000));
      paths.add(file);
    }
    ManifestFileWriter writer = new ManifestFileWriter(root);
    AtomicBoolean editing = new AtomicBoolean(true);
    List<String> unparsable = new CopyOnWriteArrayList<>();
    Map<Outcome, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    AtomicInteger busy = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> statuses =
          pool.submit(
              () -> {
                long round = 0;
                while (editing.get()) {
                  round++;
                  for (int f = 0; f < files; f++) {
                    for (int d = 0; d < 2; d++) {
                      // The editor's in-place writes are not atomic: a read may see half a file.
                      var document = parser.parse(Files.readAllBytes(paths.get(f))).document(d);
                      if (document.isEmpty()) {
                        continue;
                      }
                      long generation = document.get().generation();
                      try {
                        Outcome outcome =
                            writer.write(
                                new Origin("file", "f" + f + ".yaml", d, 1),
                                generation,
                                status(round));
                        outcomes
                            .computeIfAbsent(outcome, o -> new AtomicInteger())
                            .incrementAndGet();
                      } catch (StatusWriter.BusyException e) {
                        busy.incrementAndGet(); // the editor had the file open: tried later
                      }
                    }
                  }
                }
                return null;
              });
      Future<?> editor =
          pool.submit(
              () -> {
                try {
                  long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                  for (int edit = 0; edit < 3000 && System.nanoTime() < deadline; edit++) {
                    Path file = paths.get(edit % files);
                    String text = Files.readString(file);
                    ParsedFile parsed = parser.parse(text);
                    if (parsed.error().isPresent()) {
                      unparsable.add(parsed.error().get().describe(file.toString()));
                    }
                    String edited =
                        text.replaceFirst("port: \\d+", "port: " + (3000 + edit))
                            + "# edit "
                            + edit
                            + "\n";
                    if (edit % 2 == 0) {
                      Files.writeString(file, edited);
                    } else {
                      Path temp = file.resolveSibling(file.getFileName() + ".swp");
                      Files.writeString(temp, edited);
                      Files.move(
                          temp,
                          file,
                          StandardCopyOption.ATOMIC_MOVE,
                          StandardCopyOption.REPLACE_EXISTING);
                    }
                  }
                } finally {
                  editing.set(false);
                }
                return null;
              });
      editor.get(30, TimeUnit.SECONDS);
      statuses.get(30, TimeUnit.SECONDS);
    } finally {
      editing.set(false);
      pool.shutdownNow();
    }

    int edits = 0;
    for (int f = 0; f < files; f++) {
      String text = Files.readString(paths.get(f));
      assertThat(parser.parse(text).error()).isEmpty();
      for (int edit = f;
          text.contains("# edit " + edit + "\n") || edit < f + files;
          edit += files) {
        assertThat(text).as("edit %d of %s", edit, paths.get(f)).contains("# edit " + edit + "\n");
        edits++;
      }
    }
    System.out.printf(
        "stress: %d edits kept, status outcomes %s, busy %d%n", edits, outcomes, busy.get());
    assertThat(unparsable).isEmpty();
    assertThat(outcomes.get(Outcome.WRITTEN)).as("some statuses were written").isNotNull();
  }

  @Test
  void writesNoStatusThroughALinkLeavingTheRootNorLeavesTemporaryFilesThere() throws Exception {
    Path manifests = Files.createDirectories(root.resolve("manifests"));
    Path outside = Files.createDirectories(root.resolve("outside"));
    Path target = outside.resolve("be.yaml");
    Files.writeString(target, backend("a", 80));
    Files.createSymbolicLink(manifests.resolve("link.yaml"), target);
    Files.createSymbolicLink(manifests.resolve("ext"), outside);
    byte[] before = Files.readAllBytes(target);
    Object inode = Files.readAttributes(target, BasicFileAttributes.class).fileKey();
    ManifestFileWriter writer = new ManifestFileWriter(manifests);
    long generation = generation(target, 0);

    assertThat(writer.write(new Origin("file", "link.yaml", 0, 1), generation, status(1)))
        .isEqualTo(Outcome.STALE);
    assertThat(writer.write(new Origin("file", "ext/be.yaml", 0, 1), generation, status(1)))
        .isEqualTo(Outcome.STALE);

    assertThat(Files.readAllBytes(target)).isEqualTo(before);
    assertThat(Files.readAttributes(target, BasicFileAttributes.class).fileKey()).isEqualTo(inode);
    try (var files = Files.list(outside)) {
      assertThat(files).containsExactly(target);
    }
  }

  @Test
  void writesThroughALinkThatStaysInsideTheRootIntoItsTarget() throws Exception {
    Path real = Files.createDirectories(root.resolve("real")).resolve("be.yaml");
    Files.writeString(real, backend("a", 80));
    Path link = Files.createSymbolicLink(root.resolve("link.yaml"), Path.of("real/be.yaml"));
    ManifestFileWriter writer = new ManifestFileWriter(root);

    assertThat(writer.write(new Origin("file", "link.yaml", 0, 1), generation(real, 0), status(3)))
        .isEqualTo(Outcome.WRITTEN);

    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(Files.readString(real)).endsWith("status:\n  observedGeneration: 3\n");
  }

  /**
   * A writer that writes a manifest in two write() calls with a pause between them (cat | ssh, an
   * editor) keeps its file: while it has the file open, statuses wait; its tail is never lost.
   */
  @Test
  void aFileWrittenInChunksIsNeverReplacedWhileItsWriterHasItOpen() throws Exception {
    Path file = root.resolve("api.yaml");
    String full = backend("a", 80);
    Files.writeString(file, full);
    long generation = generation(file, 0);
    ManifestFileWriter writer = new ManifestFileWriter(root);
    int busy = 0;
    try (var out = Files.newOutputStream(file)) { // truncates, as cat > file does
      out.write(full.substring(0, 60).getBytes());
      out.flush();
      // What the operator would do: read the half file, write a status for it.
      long half = generation(file, 0);
      try {
        writer.write(new Origin("file", "api.yaml", 0, 1), half, status(1));
      } catch (StatusWriter.BusyException e) {
        busy++;
        assertThat(e.retryAfter()).isPositive();
      }
      out.write(full.substring(60).getBytes());
    }
    assertThat(busy).isEqualTo(1);
    assertThat(Files.readString(file)).isEqualTo(full);
    assertThat(writer.write(new Origin("file", "api.yaml", 0, 1), generation, status(1)))
        .isEqualTo(Outcome.WRITTEN);
    assertThat(Files.readString(file)).isEqualTo(full + "status:\n  observedGeneration: 1\n");
  }
}
