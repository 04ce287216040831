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
    if (!SOURCE.equals(origin.source())) {
      throw new IllegalArgumentException("not a manifest file origin: " + origin.source());
    }
    Path file = root.resolve(origin.location()).normalize();
    if (!file.startsWith(root)) {
      throw new IllegalArgumentException(origin.location() + " is outside " + root);
    }
    // Statuses of two documents of one file are read-modify-write of the same bytes.
    ReentrantLock lock = locks.computeIfAbsent(file, f -> new ReentrantLock());
    lock.lock();
    try {
      return writeLocked(file, origin, expectedGeneration, status);
    } finally {
      lock.unlock();
    }
  }

  private Outcome writeLocked(Path file, Origin origin, long expectedGeneration, ObjectNode status)
      throws IOException {
    byte[] before;
    try {
      before = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Outcome.STALE;
    }
    ManifestParser.Decoded decoded = parser.decode(before);
    if (decoded.error().isPresent()) {
      return Outcome.STALE;
    }
    String text = decoded.text();
    ParsedFile parsed = parser.parse(text);
    Optional<ParsedDocument> document =
        parsed.error().isPresent() ? Optional.empty() : parsed.document(origin.document());
    if (document.isEmpty()
        || document.get().problem().isPresent()
        || document.get().generation() != expectedGeneration) {
      return Outcome.STALE;
    }
    String next;
    try {
      next = splicer.splice(text, origin.document(), status);
    } catch (IllegalArgumentException e) {
      throw new IOException(
          "cannot write status into " + origin.describe() + ": " + e.getMessage());
    }
    if (next.equals(text)) {
      return Outcome.UNCHANGED;
    }
    boolean written = AtomicFiles.write(file, next, () -> unchanged(file, before));
    if (!written) {
      LOG.debug("{} changed while its status was written; the new version wins", origin);
    }
    return written ? Outcome.WRITTEN : Outcome.STALE;
  }

  private static boolean unchanged(Path file, byte[] before) throws IOException {
    try {
      return Arrays.equals(Files.readAllBytes(file), before);
    } catch (NoSuchFileException e) {
      return false;
    }
  }
}
