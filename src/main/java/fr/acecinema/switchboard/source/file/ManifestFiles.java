package fr.acecinema.switchboard.source.file;

import java.io.IOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The manifest files of a watched directory, as the operator and sbctl both see them: following
 * symlinks but never around a loop nor out of the directory, skipping hidden and editor
 * directories, and surviving files that vanish during the walk (status writes rename temporary
 * files in and out all the time).
 *
 * <p>A directory link leading out of the directory is listed itself, not walked: reading it reports
 * that such links are not followed ({@link ManifestFileReader}), instead of silently ignoring what
 * the user meant to declare.
 */
public final class ManifestFiles {
  private static final Logger LOG = LoggerFactory.getLogger(ManifestFiles.class);
  private static final int MAX_DEPTH = 32;

  private ManifestFiles() {}

  /**
   * Manifest files under {@code start} (the root or one of its directories), sorted. A manifest
   * that cannot be stat'ed is listed anyway, so that reading it reports why.
   */
  public static List<Path> under(Path root, Path start) {
    List<Path> files = new ArrayList<>();
    Path realRoot;
    try {
      realRoot = root.toRealPath();
    } catch (IOException e) {
      LOG.warn("cannot list {}: {}", start, e.toString());
      return files;
    }
    try {
      Files.walkFileTree(
          start,
          EnumSet.of(FileVisitOption.FOLLOW_LINKS),
          MAX_DEPTH,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
              if (dir.equals(root)) {
                return FileVisitResult.CONTINUE;
              }
              if (ManifestNames.isIgnoredDirectory(root.relativize(dir))) {
                return FileVisitResult.SKIP_SUBTREE;
              }
              if (!leadsInside(dir, realRoot)) {
                files.add(dir); // reading it says why it is not followed
                return FileVisitResult.SKIP_SUBTREE;
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              if (!attrs.isDirectory() && ManifestNames.isManifest(root.relativize(file))) {
                files.add(file);
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              if (e instanceof FileSystemLoopException) {
                LOG.warn("{} links back to a parent directory; not followed", file);
              } else if (ManifestNames.isManifest(root.relativize(file))) {
                files.add(file); // reading it reports why it cannot be read
              }
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      LOG.warn("cannot list {}: {}", start, e.toString());
    }
    files.sort(null);
    return files;
  }

  private static boolean leadsInside(Path dir, Path realRoot) {
    try {
      return dir.toRealPath().startsWith(realRoot);
    } catch (IOException e) {
      return false;
    }
  }
}
