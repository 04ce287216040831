package fr.acecinema.switchboard.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

/**
 * Everything under a directory that a write, rename, delete or chown would change: name, inode,
 * owner, group, mode, mtime and content of every entry, links not followed.
 */
public final class DirectorySnapshot {
  private DirectorySnapshot() {}

  /** One line per entry under {@code dir}, sorted. */
  public static List<String> of(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.sorted().map(p -> entry(dir, p)).toList();
    }
  }

  private static String entry(Path dir, Path p) {
    try {
      PosixFileAttributes a =
          Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return dir.relativize(p)
          + " "
          + a.fileKey()
          + " "
          + a.owner()
          + ":"
          + a.group()
          + " "
          + PosixFilePermissions.toString(a.permissions())
          + " "
          + a.lastModifiedTime()
          + (a.isRegularFile() ? " " + Files.readString(p) : "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
