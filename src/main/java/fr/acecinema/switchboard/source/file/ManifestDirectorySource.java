package fr.acecinema.switchboard.source.file;

import fr.acecinema.switchboard.manifest.AtomicFiles;
import fr.acecinema.switchboard.manifest.ConfinedDirectory;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.manifest.ParsedDocument;
import fr.acecinema.switchboard.manifest.ParsedFile;
import fr.acecinema.switchboard.runtime.WorkQueue;
import fr.acecinema.switchboard.source.Declaration;
import fr.acecinema.switchboard.source.DeclarationSink;
import fr.acecinema.switchboard.source.Origin;
import fr.acecinema.switchboard.source.Rejection;
import io.methvin.watcher.DirectoryChangeEvent;
import io.methvin.watcher.DirectoryWatcher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a directory of manifests into declarations. Level-triggered: a file-system event only
 * queues the file's path (de-duplicated); one worker re-reads the file as it is now and reports
 * everything it declares to the {@link DeclarationSink}. A periodic resync re-reads the whole tree,
 * catching anything the events missed.
 *
 * <p>When the root directory disappears (an unmount, a {@code git checkout} replacing it) its
 * declarations are kept until it comes back, then a rescan reports what it holds: a vanished root
 * is more often a hiccup than an intent to delete every route.
 */
public final class ManifestDirectorySource implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ManifestDirectorySource.class);
  private static final String SOURCE = ManifestFileWriter.SOURCE;
  private static final Path RESCAN = Path.of("/.switchboard-queue/rescan");
  private static final Duration ROOT_CHECK = Duration.ofMillis(250);
  // A file open for writing is read once closed (looked at again this often), so that a slow
  // writer's half-written file is not taken for the user's intent; after the limit it is read
  // anyway (a process may keep a file open for writing for good).
  private static final Duration WRITING_RECHECK = Duration.ofMillis(100);
  private static final Duration WRITING_LIMIT = Duration.ofSeconds(30);

  /** Reads at most {@code limit} bytes of a file; swapped in tests to simulate unreadable files. */
  @FunctionalInterface
  interface FileReader {
    byte[] read(Path file, int limit) throws IOException;
  }

  private final Path root;
  private final DeclarationSink sink;
  private final DocumentAdmission admission;
  private final ManifestParser parser;
  private final Duration resyncInterval;
  private final FileReader reader;

  // The runtime's de-duplicating keyed queue: a path waits at most once, re-reads coalesce.
  private final WorkQueue<Path> queue = new WorkQueue<>();
  // Only touched by the worker (and by start() before the worker exists).
  private final Map<String, byte[]> digests = new HashMap<>();
  // Location -> System.nanoTime() when it was first found open for writing.
  private final Map<String, Long> beingWritten = new HashMap<>();

  private final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "manifest-source-timer"));
  private final ExecutorService watcherThread =
      Executors.newSingleThreadExecutor(r -> daemon(r, "manifest-source-watcher"));
  private Thread worker;
  private volatile DirectoryWatcher watcher;
  private volatile Object watchedRootKey;
  private volatile boolean closed;

  public ManifestDirectorySource(
      Path root,
      DeclarationSink sink,
      DocumentAdmission admission,
      ManifestParser parser,
      Duration resyncInterval) {
    this(root, sink, admission, parser, resyncInterval, ManifestFileReader::readAtMost);
  }

  ManifestDirectorySource(
      Path root,
      DeclarationSink sink,
      DocumentAdmission admission,
      ManifestParser parser,
      Duration resyncInterval,
      FileReader reader) {
    this.root = root.toAbsolutePath().normalize();
    this.sink = sink;
    this.admission = admission;
    this.parser = parser;
    this.resyncInterval = resyncInterval;
    this.reader = reader;
  }

  public Path root() {
    return root;
  }

  /**
   * Watches the root, reads every manifest once and reports it, then returns: declarations of the
   * files present at start are in the sink when this returns.
   */
  public synchronized void start() throws IOException {
    if (worker != null) {
      throw new IllegalStateException("already started");
    }
    // Temporary files of writes a kill -9 interrupted (ours, sbctl's) would stay forever.
    StaleTemporaryFiles.clean(root, StaleTemporaryFiles.STALE_AFTER);
    // Watch first, then scan: a change during the scan is queued and re-read afterwards.
    if (Files.isDirectory(root)) {
      startWatcher();
    } else {
      LOG.warn("manifest directory {} does not exist yet; waiting for it", root);
    }
    rescan();
    worker = new Thread(this::work, "manifest-source-worker");
    worker.setDaemon(true);
    worker.start();
    long check = ROOT_CHECK.toMillis();
    timers.scheduleWithFixedDelay(this::checkRoot, check, check, TimeUnit.MILLISECONDS);
    long resync = Math.max(1, resyncInterval.toMillis());
    timers.scheduleWithFixedDelay(() -> enqueue(RESCAN), resync, resync, TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void close() {
    closed = true;
    timers.shutdownNow();
    stopWatcher();
    watcherThread.shutdownNow();
    queue.close();
    if (worker != null) {
      worker.interrupt();
      try {
        worker.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ---- events ------------------------------------------------------------------------------

  private void onEvent(DirectoryChangeEvent event) {
    if (event.eventType() == DirectoryChangeEvent.EventType.OVERFLOW) {
      enqueue(RESCAN);
      return;
    }
    Path path = event.path();
    if (root.equals(path) && event.eventType() == DirectoryChangeEvent.EventType.DELETE) {
      // The root itself went away; the next root check re-watches whatever takes its place,
      // even a new directory that happens to reuse the old inode number.
      watchedRootKey = null;
      return;
    }
    if (path == null || path.equals(root) || !path.startsWith(root)) {
      return;
    }
    Path relative = root.relativize(path);
    if (event.isDirectory()) {
      if (!ManifestNames.isIgnoredDirectory(relative)) {
        enqueue(path);
      }
    } else if (ManifestNames.isManifest(relative)) {
      enqueue(path);
    }
  }

  private void enqueue(Path path) {
    queue.add(path);
  }

  private void work() {
    while (!closed) {
      Path path;
      try {
        path = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      if (path == null) {
        return; // closed
      }
      try {
        if (path == RESCAN) {
          rescan();
        } else {
          refresh(path);
        }
      } catch (RuntimeException e) {
        LOG.error("reading {} failed; the next resync retries", path, e);
      } finally {
        queue.done(path);
      }
    }
  }

  // ---- reading -----------------------------------------------------------------------------

  /** Re-reads one path (file or directory, present or gone) and reports what it declares now. */
  private void refresh(Path path) {
    Path relative = root.relativize(path);
    if (Files.isDirectory(path)) {
      // A directory appeared (created or moved in): read what it holds, forget what it no longer
      // holds (by the walk, not by path: a directory replaced by a link leading out of the root
      // may show files at the old paths, which are not read).
      Set<String> seen = new HashSet<>();
      for (Path file : walk(path)) {
        seen.add(ManifestNames.location(root.relativize(file)));
        read(file);
      }
      forgetUnder(ManifestNames.location(relative) + "/", seen);
      return;
    }
    if (Files.exists(path) || Files.isSymbolicLink(path)) {
      if (ManifestNames.isManifest(relative)) {
        read(path);
      }
      return;
    }
    // Gone: a file, or a directory with everything under it.
    String location = ManifestNames.location(relative);
    forget(location);
    forgetUnder(location + "/", Set.of());
  }

  /** Full resync: read every manifest, forget locations whose file vanished. */
  private void rescan() {
    if (!Files.isDirectory(root)) {
      return;
    }
    if (worker != null) {
      // Also while running: one killed at once after start left its files younger than a minute.
      StaleTemporaryFiles.clean(root, StaleTemporaryFiles.STALE_AFTER);
    }
    Set<String> present = new HashSet<>();
    for (Path file : walk(root)) {
      present.add(ManifestNames.location(root.relativize(file)));
      read(file);
    }
    Set<String> known = new HashSet<>(digests.keySet());
    known.addAll(sink.locations(SOURCE));
    for (String location : known) {
      if (!present.contains(location)) {
        forget(location);
      }
    }
  }

  private void forgetUnder(String prefix, Set<String> present) {
    Set<String> known = new HashSet<>(digests.keySet());
    known.addAll(sink.locations(SOURCE));
    for (String location : known) {
      if (location.startsWith(prefix) && !present.contains(location)) {
        forget(location);
      }
    }
  }

  private void forget(String location) {
    if (digests.remove(location) != null || sink.locations(SOURCE).contains(location)) {
      LOG.debug("{} is gone", location);
      sink.removeLocation(SOURCE, location);
    }
  }

  /** Reads one manifest and reports it, unless its content is what was last reported. */
  private void read(Path file) {
    String location = ManifestNames.location(root.relativize(file));
    if (beingWritten(file)) {
      long now = System.nanoTime();
      long since = beingWritten.computeIfAbsent(location, l -> now);
      if (now - since < WRITING_LIMIT.toNanos()) {
        queue.addAfter(file, WRITING_RECHECK);
        return;
      }
    }
    beingWritten.remove(location);
    byte[] bytes;
    switch (ManifestFileReader.read(
        root, file, SOURCE, location, parser.maxBytes(), reader::read)) {
      case ManifestFileReader.Missing m -> {
        forget(location);
        return;
      }
      case ManifestFileReader.Unreadable u -> {
        // Read again at every event and resync (it may become readable), but reported only when
        // the problem changes: a FIFO left in the directory must not log a warning every resync.
        byte[] digest =
            sha256(("unreadable\0" + u.rejection().message()).getBytes(StandardCharsets.UTF_8));
        if (!Arrays.equals(digests.get(location), digest)) {
          report(location, digest, u.rejection());
        }
        return;
      }
      case ManifestFileReader.Content c -> bytes = c.bytes();
    }
    byte[] digest = sha256(bytes);
    if (Arrays.equals(digests.get(location), digest)) {
      return;
    }
    ParsedFile parsed = parser.parse(bytes);
    List<Declaration> accepted = new ArrayList<>();
    List<Rejection> rejected = new ArrayList<>();
    if (parsed.error().isPresent()) {
      rejected.add(DocumentAdmission.syntaxError(SOURCE, location, parsed.error().get()));
    } else {
      for (ParsedDocument document : parsed.documents()) {
        Origin origin = new Origin(SOURCE, location, document.index(), document.line());
        switch (admission.admit(origin, document)) {
          case DocumentAdmission.Result.Accepted a -> accepted.add(a.declaration());
          case DocumentAdmission.Result.Rejected r -> rejected.add(r.rejection());
        }
      }
    }
    sink.replace(SOURCE, location, accepted, rejected);
    digests.put(location, digest);
  }

  /**
   * Whether someone has {@code file} open for writing; asked only of a file inside the root,
   * through its directory opened without following links (a link leading out is not even opened).
   */
  private boolean beingWritten(Path file) {
    try {
      if (ConfinedDirectory.locate(root, file) instanceof ConfinedDirectory.Inside inside) {
        try (ConfinedDirectory dir = inside.openParent()) {
          return AtomicFiles.beingWritten(dir.resolve(inside.name()));
        }
      }
    } catch (IOException e) {
      // unknown: read it now
    }
    return false;
  }

  private void report(String location, byte[] digest, Rejection rejection) {
    sink.replace(SOURCE, location, List.of(), List.of(rejection));
    digests.put(location, digest);
  }

  private List<Path> walk(Path start) {
    return ManifestFiles.under(root, start);
  }

  // ---- watching the root -------------------------------------------------------------------

  private void startWatcher() throws IOException {
    DirectoryWatcher next =
        DirectoryWatcher.builder()
            .path(root)
            .fileHashing(false)
            .listener(this::onEvent)
            .logger(LoggerFactory.getLogger(DirectoryWatcher.class))
            .build();
    watchedRootKey = rootKey();
    watcher = next;
    next.watchAsync(watcherThread);
  }

  private void stopWatcher() {
    DirectoryWatcher current = watcher;
    watcher = null;
    if (current != null) {
      try {
        current.close();
      } catch (IOException e) {
        LOG.debug("closing the directory watcher: {}", e.toString());
      }
    }
  }

  /** Notices the root vanishing or being replaced, and watches the new one. */
  private void checkRoot() {
    if (closed) {
      return;
    }
    try {
      Object key = rootKey();
      if (key == null) {
        if (watcher != null) {
          LOG.warn("manifest directory {} disappeared; keeping what it declared", root);
          stopWatcher();
        }
      } else if (watcher == null || !key.equals(watchedRootKey)) {
        LOG.info("manifest directory {} (re)appeared; watching and rescanning it", root);
        stopWatcher();
        startWatcher();
        enqueue(RESCAN);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("checking {}: {}", root, e.toString());
    }
  }

  private Object rootKey() {
    try {
      BasicFileAttributes attrs = Files.readAttributes(root, BasicFileAttributes.class);
      // Inode numbers are reused; the birth time tells a recreated directory apart.
      return attrs.isDirectory()
          ? List.of(String.valueOf(attrs.fileKey()), attrs.creationTime())
          : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
