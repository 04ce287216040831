package fr.acecinema.switchboard.source.file;

import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.manifest.AtomicFiles;
import fr.acecinema.switchboard.manifest.ConfinedDirectory;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.manifest.ParsedDocument;
import fr.acecinema.switchboard.manifest.ParsedFile;
import fr.acecinema.switchboard.manifest.StatusSplicer;
import fr.acecinema.switchboard.source.Origin;
import fr.acecinema.switchboard.source.StatusWriter;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes statuses into manifest files under a root directory. A user's edit always wins: the file
 * is re-read right before the rename and nothing is written if it changed since it was read, nor if
 * the document's derived generation is no longer the one the status was computed for.
 *
 * <p>Only files inside the root are ever written: a file reached through a symbolic link is written
 * only when its real path lies under the root's real path, and then through directories opened one
 * by one without following links ({@link ConfinedDirectory}), so a link swapped in meanwhile cannot
 * redirect the write. A file that leads outside gets no status ({@link Outcome#STALE}); the
 * directory source does not read it either.
 *
 * <p>A file still being written is never replaced (its writer would go on writing into the replaced
 * file and lose the rest of its edit): the write is refused with {@link StatusWriter.BusyException}
 * while any process holds the file open for writing (a read lease, on Linux, for the file's owner
 * or root), or, where leases are not granted, while the file changed less than the quiet period
 * ago. The caller tries again later.
 */
public final class ManifestFileWriter implements StatusWriter {
  /** Source name of manifest files in {@link Origin#source()}. */
  public static final String SOURCE = "file";

  /** Without leases, how long a file must have been left alone before a status goes in. */
  public static final Duration QUIET_PERIOD = Duration.ofSeconds(2);

  /** With leases, how soon a file that was open for writing is looked at again. */
  static final Duration BUSY_RETRY = Duration.ofMillis(250);

  private static final Logger LOG = LoggerFactory.getLogger(ManifestFileWriter.class);

  private final Path root;
  private final ManifestParser parser;
  private final StatusSplicer splicer;
  private final AtomicFiles.Settling settling;
  private final ConcurrentMap<Path, ReentrantLock> locks = new ConcurrentHashMap<>();

  public ManifestFileWriter(Path root) {
    this(root, new ManifestParser());
  }

  public ManifestFileWriter(Path root, ManifestParser parser) {
    this(root, parser, AtomicFiles.Settling.of(QUIET_PERIOD));
  }

  ManifestFileWriter(Path root, ManifestParser parser, AtomicFiles.Settling settling) {
    this.root = root.toAbsolutePath().normalize();
    this.parser = parser;
    this.splicer = new StatusSplicer(parser);
    this.settling = settling;
  }

  @Override
  public Outcome write(Origin origin, long expectedGeneration, ObjectNode status)
      throws IOException {
    return writeAll(List.of(new Entry(origin, expectedGeneration, status))).get(0);
  }

  /**
   * Splices every entry's status into its document and writes the file once: at cold start or when
   * a whole site flips, the statuses of a file's documents arrive together, and one
   * read-splice-fsync-rename for all of them is what keeps the write rate bounded.
   */
  @Override
  public List<Outcome> writeAll(List<Entry> entries) throws IOException {
    if (entries.isEmpty()) {
      return List.of();
    }
    Path file = resolve(entries.get(0).origin());
    for (Entry e : entries) {
      if (!resolve(e.origin()).equals(file)) {
        throw new IllegalArgumentException("writeAll takes entries of one file");
      }
    }
    List<Outcome> stale = entries.stream().map(e -> Outcome.STALE).toList();
    ConfinedDirectory.Inside inside;
    try {
      if (!(ConfinedDirectory.locate(root, file) instanceof ConfinedDirectory.Inside i)) {
        // Gone, or a link leading out of the directory: never written (the source does not read
        // such a file either, so its declarations are on their way out).
        LOG.debug("{} is gone or leads outside {}; no status written", file, root);
        return stale;
      }
      inside = i;
    } catch (NoSuchFileException e) {
      return stale;
    }
    // Statuses of two documents of one file are read-modify-write of the same bytes (keyed by the
    // real file: two links to it are one file).
    Path real = inside.realRoot().resolve(inside.relative());
    ReentrantLock lock = locks.computeIfAbsent(real, f -> new ReentrantLock());
    lock.lock();
    try (ConfinedDirectory dir = inside.openParent()) {
      return writeLocked(dir.resolve(inside.name()), file, entries);
    } catch (ConfinedDirectory.LinkRefusedException | NoSuchFileException e) {
      // A directory on the way was replaced (by a link) since it was located: leave it alone.
      LOG.debug("{} changed on the way: {}; no status written", file, e.toString());
      return stale;
    } finally {
      lock.unlock();
    }
  }

  private Path resolve(Origin origin) {
    if (!SOURCE.equals(origin.source())) {
      throw new IllegalArgumentException("not a manifest file origin: " + origin.source());
    }
    Path file = root.resolve(origin.location()).normalize();
    if (!file.startsWith(root)) {
      throw new IllegalArgumentException(origin.location() + " is outside " + root);
    }
    return file;
  }

  /**
   * @param file the file as opened ({@code /proc/self/fd/N/name} on Linux)
   * @param shown the file as the user knows it, for messages
   */
  private List<Outcome> writeLocked(Path file, Path shown, List<Entry> entries) throws IOException {
    Outcome[] outcomes = new Outcome[entries.size()];
    Arrays.fill(outcomes, Outcome.STALE);
    byte[] before = readOrNull(file);
    if (before == null) {
      return List.of(outcomes);
    }
    ManifestParser.Decoded decoded = parser.decode(before);
    if (decoded.error().isPresent()) {
      return List.of(outcomes);
    }
    String text = decoded.text();
    ParsedFile parsed = parser.parse(text);
    if (parsed.error().isPresent()) {
      return List.of(outcomes);
    }
    // One status per document (the last queued wins), spliced in one pass.
    Map<Integer, ObjectNode> changes = new LinkedHashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      Optional<ParsedDocument> document = parsed.document(e.origin().document());
      if (document.isEmpty()
          || document.get().problem().isPresent()
          || document.get().generation() != e.expectedGeneration()) {
        continue;
      }
      if (e.status().equals(document.get().document().get("status"))) {
        changes.remove(e.origin().document());
        outcomes[i] = Outcome.UNCHANGED;
      } else {
        changes.put(e.origin().document(), e.status());
        outcomes[i] = Outcome.WRITTEN;
      }
    }
    if (changes.isEmpty()) {
      return List.of(outcomes);
    }
    String next;
    try {
      next = splicer.spliceAll(text, changes);
    } catch (IllegalArgumentException ex) {
      throw new IOException("cannot write status into " + shown + ": " + ex.getMessage());
    }
    if (next.equals(text)) {
      for (int i = 0; i < outcomes.length; i++) {
        if (outcomes[i] == Outcome.WRITTEN) {
          outcomes[i] = Outcome.UNCHANGED;
        }
      }
      return List.of(outcomes);
    }
    AtomicFiles.Result result =
        AtomicFiles.write(file, next, () -> unchanged(file, before), settling);
    if (result == AtomicFiles.Result.BUSY) {
      throw new BusyException(
          shown + " is being written by another process; its status waits",
          settling.leases() ? BUSY_RETRY : settling.quiet());
    }
    if (result != AtomicFiles.Result.WRITTEN) {
      LOG.debug("{} changed while statuses were written; the new version wins", shown);
      for (int i = 0; i < outcomes.length; i++) {
        if (outcomes[i] == Outcome.WRITTEN) {
          outcomes[i] = Outcome.STALE;
        }
      }
    }
    return List.of(outcomes);
  }

  private static boolean unchanged(Path file, byte[] before) throws IOException {
    return Arrays.equals(readOrNull(file), before);
  }

  /** The file's bytes, never through a link (one swapped in at the last component is refused). */
  private static byte[] readOrNull(Path file) throws IOException {
    try (var in =
        java.nio.file.Files.newInputStream(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return in.readAllBytes();
    } catch (NoSuchFileException e) {
      return null;
    } catch (java.nio.file.FileSystemException e) {
      if (java.nio.file.Files.isSymbolicLink(file)) {
        return null; // replaced by a link since it was located: not ours to read or write
      }
      throw e;
    }
  }
}
