package fr.acecinema.switchboard.source.file;

import fr.acecinema.switchboard.manifest.AtomicFiles;
import fr.acecinema.switchboard.manifest.ConfinedDirectory;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the temporary files a killed writer left behind ({@code kill -9} between creating one and
 * renaming it): only names exactly of {@link AtomicFiles}' making, only regular files, only when
 * older than a minute (a live writer's temporary file lives milliseconds; a cleanup must not pull
 * one from under a concurrent {@code sbctl apply}), never through a symbolic link, never outside
 * the directory.
 */
final class StaleTemporaryFiles {
  /** How old a temporary file must be (by its inode change time) to be taken as abandoned. */
  static final Duration STALE_AFTER = Duration.ofMinutes(1);

  private static final Logger LOG = LoggerFactory.getLogger(StaleTemporaryFiles.class);
  private static final int MAX_DEPTH = 32;

  private StaleTemporaryFiles() {}

  /** Deletes stale temporary files under {@code root}; returns how many. */
  static int clean(Path root, Duration staleAfter) {
    Path realRoot;
    try {
      realRoot = root.toRealPath();
    } catch (IOException e) {
      return 0;
    }
    List<Path> stale = new ArrayList<>();
    long now = System.currentTimeMillis();
    try {
      // Without FOLLOW_LINKS: the walk never leaves the real tree.
      Files.walkFileTree(
          realRoot,
          EnumSet.noneOf(java.nio.file.FileVisitOption.class),
          MAX_DEPTH,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              String name = file.getFileName().toString();
              if (attrs.isRegularFile()
                  && AtomicFiles.isOurTemporary(name)
                  && (writerGone(name) || now - changed(file, attrs) >= staleAfter.toMillis())) {
                stale.add(realRoot.relativize(file));
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      LOG.debug("looking for stale temporary files under {}: {}", root, e.toString());
    }
    int removed = 0;
    for (Path relative : stale) {
      // Deleted through its directory opened without following links: a directory swapped for a
      // link since the walk cannot take the deletion elsewhere.
      try (ConfinedDirectory dir = ConfinedDirectory.open(realRoot, relative.getParent(), false)) {
        Path file = dir.resolve(relative.getFileName().toString());
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && Files.deleteIfExists(file)) {
          removed++;
        }
      } catch (IOException e) {
        LOG.debug("not removing {}: {}", relative, e.toString());
      }
    }
    if (removed > 0) {
      LOG.info("removed {} temporary file(s) left in {} by an interrupted write", removed, root);
    }
    return removed;
  }

  private static boolean writerGone(String name) {
    var pid = AtomicFiles.writerOf(name);
    return pid.isPresent() && ProcessHandle.of(pid.getAsLong()).isEmpty();
  }

  /** The inode change time: a hard link made for a write renews it, unlike the mtime. */
  private static long changed(Path file, BasicFileAttributes attrs) {
    try {
      return ((FileTime) Files.getAttribute(file, "unix:ctime", LinkOption.NOFOLLOW_LINKS))
          .toMillis();
    } catch (IOException | RuntimeException e) {
      return attrs.lastModifiedTime().toMillis();
    }
  }
}
