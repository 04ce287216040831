package fr.acecinema.switchboard.source.file;

import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.manifest.AtomicFiles;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.manifest.ParsedDocument;
import fr.acecinema.switchboard.manifest.ParsedFile;
import fr.acecinema.switchboard.manifest.StatusSplicer;
import fr.acecinema.switchboard.source.Origin;
import fr.acecinema.switchboard.source.StatusWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
 */
public final class ManifestFileWriter implements StatusWriter {
  /** Source name of manifest files in {@link Origin#source()}. */
  public static final String SOURCE = "file";

  private static final Logger LOG = LoggerFactory.getLogger(ManifestFileWriter.class);

  private final Path root;
  private final ManifestParser parser;
  private final StatusSplicer splicer;
  private final ConcurrentMap<Path, ReentrantLock> locks = new ConcurrentHashMap<>();

  public ManifestFileWriter(Path root) {
    this(root, new ManifestParser());
  }

  public ManifestFileWriter(Path root, ManifestParser parser) {
    this.root = root.toAbsolutePath().normalize();
    this.parser = parser;
    this.splicer = new StatusSplicer(parser);
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
    // Statuses of two documents of one file are read-modify-write of the same bytes.
    ReentrantLock lock = locks.computeIfAbsent(file, f -> new ReentrantLock());
    lock.lock();
    try {
      return writeLocked(file, entries);
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

  private List<Outcome> writeLocked(Path file, List<Entry> entries) throws IOException {
    Outcome[] outcomes = new Outcome[entries.size()];
    Arrays.fill(outcomes, Outcome.STALE);
    byte[] before;
    try {
      before = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
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
      throw new IOException("cannot write status into " + file + ": " + ex.getMessage());
    }
    if (next.equals(text)) {
      for (int i = 0; i < outcomes.length; i++) {
        if (outcomes[i] == Outcome.WRITTEN) {
          outcomes[i] = Outcome.UNCHANGED;
        }
      }
      return List.of(outcomes);
    }
    boolean written = AtomicFiles.write(file, next, () -> unchanged(file, before));
    if (!written) {
      LOG.debug("{} changed while statuses were written; the new version wins", file);
      for (int i = 0; i < outcomes.length; i++) {
        if (outcomes[i] == Outcome.WRITTEN) {
          outcomes[i] = Outcome.STALE;
        }
      }
    }
    return List.of(outcomes);
  }

  private static boolean unchanged(Path file, byte[] before) throws IOException {
    try {
      return Arrays.equals(Files.readAllBytes(file), before);
    } catch (NoSuchFileException e) {
      return false;
    }
  }
}
