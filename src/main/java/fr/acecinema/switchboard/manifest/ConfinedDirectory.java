package fr.acecinema.switchboard.manifest;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * A directory under a root, reached without following any symbolic link below the root, and kept
 * open: what is read, written, renamed or deleted through {@link #resolve} stays in that directory
 * even if someone replaces a directory on the way with a link to {@code /etc} meanwhile. This is
 * what keeps Switchboard, often running as root, from writing anywhere a manifest author points a
 * link at.
 *
 * <p>On Linux (x86-64, aarch64) each component is opened with {@code openat(O_NOFOLLOW)} from the
 * previous one and the last one is used as {@code /proc/self/fd/N}. Elsewhere each component is
 * checked with {@code lstat} and the directory is used by path: a link swapped in between the check
 * and the use is followed there (a race the native path does not have).
 */
public final class ConfinedDirectory implements AutoCloseable {
  private final int fd;
  private final Path path;

  private ConfinedDirectory(int fd, Path path) {
    this.fd = fd;
    this.path = path;
  }

  /** A symbolic link where a directory or a file of the tree was expected; never followed. */
  public static final class LinkRefusedException extends FileSystemException {
    LinkRefusedException(String file) {
      this(file, "a symbolic link (or not a directory): not followed");
    }

    public LinkRefusedException(String file, String reason) {
      super(file, null, reason);
    }
  }

  /**
   * Opens {@code realRoot/relative} (relative: no {@code ..}, possibly empty), refusing a symbolic
   * link at any component below {@code realRoot}; with {@code create}, missing directories are
   * made.
   *
   * @throws LinkRefusedException when a component is a link or not a directory
   * @throws NoSuchFileException when a component is missing and {@code create} is false
   */
  public static ConfinedDirectory open(Path realRoot, Path relative, boolean create)
      throws IOException {
    if (relative != null && (relative.isAbsolute() || relative.normalize().startsWith(".."))) {
      throw new IllegalArgumentException(relative + " is not below " + realRoot);
    }
    if (!Posix.available()) {
      return openByPath(realRoot, relative, create);
    }
    int fd = Posix.openDirectory(realRoot);
    try {
      for (Path part : relative == null ? Path.of("") : relative) {
        String name = part.toString();
        if (name.isEmpty()) {
          continue;
        }
        int next;
        try {
          next = Posix.openDirectory(fd, name);
        } catch (NoSuchFileException e) {
          if (!create) {
            throw e;
          }
          // mkdir never follows a link at its last component: a link there fails with EEXIST,
          // then the open below refuses it.
          try {
            Files.createDirectory(Posix.path(fd).resolve(name));
          } catch (java.nio.file.FileAlreadyExistsException raced) {
            // made meanwhile; opened below like any existing one
          }
          next = Posix.openDirectory(fd, name);
        } catch (LinkRefusedException e) {
          throw new LinkRefusedException(realRoot.resolve(relative).toString());
        }
        Posix.close(fd);
        fd = next;
      }
    } catch (IOException | RuntimeException e) {
      Posix.close(fd);
      throw e;
    }
    return new ConfinedDirectory(fd, Posix.path(fd));
  }

  private static ConfinedDirectory openByPath(Path realRoot, Path relative, boolean create)
      throws IOException {
    Path dir = realRoot;
    for (Path part : relative == null ? Path.of("") : relative) {
      if (part.toString().isEmpty()) {
        continue;
      }
      dir = dir.resolve(part);
      if (Files.isSymbolicLink(dir)) {
        throw new LinkRefusedException(dir.toString());
      }
      if (create && !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(dir);
      }
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
          throw new NoSuchFileException(dir.toString());
        }
        throw new NotDirectoryException(dir.toString());
      }
    }
    return new ConfinedDirectory(-1, dir);
  }

  /** The path of entry {@code name} of this directory (never resolves a link in the directory). */
  public Path resolve(String name) {
    if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException("not a file name: " + name);
    }
    return path.resolve(name);
  }

  /** This directory as a path (for fsync and listing). */
  public Path path() {
    return path;
  }

  @Override
  public void close() {
    if (fd >= 0) {
      Posix.close(fd);
    }
  }

  // ---- where a path under the root really is -----------------------------------------------

  /** Where a path of the tree leads. */
  public sealed interface Location {}

  /** Inside the root: {@code relative} is the real path (links resolved) below {@code realRoot}. */
  public record Inside(Path realRoot, Path relative) implements Location {
    /** The directory holding the file, opened without following links. */
    public ConfinedDirectory openParent() throws IOException {
      return ConfinedDirectory.open(realRoot, relative.getParent(), false);
    }

    /** The file's name in {@link #openParent()}. */
    public String name() {
      return relative.getFileName().toString();
    }
  }

  /** Outside the root, through a symbolic link (of the file or of a directory on the way). */
  public record Outside() implements Location {}

  /** Nothing there, or a link that cannot be followed (broken, a loop) without leaving the root. */
  public record Unresolved() implements Location {}

  /**
   * Where {@code file} (a path under {@code root}) leads once links are followed. A broken link
   * whose target text already leaves the root is {@link Outside} too, so that whether a file exists
   * outside the root cannot be learned from the answer.
   */
  public static Location locate(Path root, Path file) throws IOException {
    Path realRoot = root.toRealPath();
    Path absolute = file.toAbsolutePath().normalize();
    Path lexicalRoot = root.toAbsolutePath().normalize();
    if (!absolute.startsWith(lexicalRoot) && !absolute.startsWith(realRoot)) {
      return new Outside();
    }
    Path real;
    try {
      real = absolute.toRealPath();
    } catch (NoSuchFileException e) {
      return linkLeaves(absolute, lexicalRoot, realRoot) ? new Outside() : new Unresolved();
    } catch (FileSystemException e) {
      // ELOOP and the like: reported as a broken link, unless the link text leaves.
      return linkLeaves(absolute, lexicalRoot, realRoot) ? new Outside() : new Unresolved();
    }
    if (!real.startsWith(realRoot)) {
      return new Outside();
    }
    return new Inside(realRoot, realRoot.relativize(real));
  }

  /** Whether a chain of links at {@code file} points, by its text, out of the root. */
  private static boolean linkLeaves(Path file, Path lexicalRoot, Path realRoot) {
    Path current = file;
    for (int hops = 0; hops < 40 && Files.isSymbolicLink(current); hops++) {
      Path target;
      try {
        target = Files.readSymbolicLink(current);
      } catch (IOException e) {
        return false;
      }
      current = current.resolveSibling(target).normalize();
      if (!current.startsWith(lexicalRoot) && !current.startsWith(realRoot)) {
        return true;
      }
    }
    return false;
  }
}
