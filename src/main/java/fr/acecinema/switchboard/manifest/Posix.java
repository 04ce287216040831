package fr.acecinema.switchboard.manifest;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The few Linux calls the JDK does not offer: opening a directory relative to another one without
 * following a symbolic link ({@code openat(O_NOFOLLOW)}), and read leases ({@code
 * fcntl(F_SETLEASE)}), the one way to know whether any process still holds a file open for writing.
 * Open directories are used through {@code /proc/self/fd/N}, which the kernel resolves to the open
 * directory itself, not by name again, so java.nio can work inside it. Unavailable (and callers
 * fall back to path checks) off Linux, on other architectures than x86-64 and aarch64 (the open
 * flags differ), or without {@code /proc}.
 */
final class Posix {
  private static final int AT_FDCWD = -100;
  private static final int O_RDONLY = 0;
  private static final int O_CLOEXEC = 0x80000;
  private static final int O_NONBLOCK = 0x800;
  private static final int F_SETOWN = 8;
  private static final int F_SETSIG = 10;
  private static final int F_SETLEASE = 1024;
  private static final int F_GETLEASE = 1025;
  private static final int F_RDLCK = 0;
  private static final int F_UNLCK = 2;
  // Ignored unless a handler is installed (the JVM installs none): a lease break notifies us with
  // it instead of SIGIO, whose default action would terminate the JVM.
  private static final int SIGURG = 23;
  private static final int ENOENT = 2;
  private static final int EAGAIN = 11;
  private static final int EACCES = 13;
  private static final int ENOTDIR = 20;
  private static final int ELOOP = 40;

  /** The libc functions used (here and by {@link RenameExchange}). */
  interface LibC extends Library {
    int renameat2(int olddirfd, String oldpath, int newdirfd, String newpath, int flags)
        throws LastErrorException;

    int openat(int dirfd, String path, int flags, int mode) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int fcntl(int fd, int cmd, int arg) throws LastErrorException;
  }

  private record Flags(int directory, int noFollow) {}

  private static final Flags FLAGS = flags();
  private static final LibC LIBC = load();
  private static final boolean DESCRIPTORS =
      LIBC != null && FLAGS != null && Files.isDirectory(Path.of("/proc/self/fd"));

  private Posix() {}

  private static Flags flags() {
    String arch = System.getProperty("os.arch", "");
    return switch (arch) {
      case "amd64", "x86_64" -> new Flags(0x10000, 0x20000);
      case "aarch64" -> new Flags(0x4000, 0x8000);
      default -> null;
    };
  }

  private static LibC load() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      return null;
    }
    try {
      return Native.load("c", LibC.class);
    } catch (LinkageError | RuntimeException e) {
      return null;
    }
  }

  /** Linux's libc; null elsewhere. */
  static LibC libc() {
    return LIBC;
  }

  /** Whether directories can be opened by descriptor here. */
  static boolean available() {
    return DESCRIPTORS;
  }

  /** Opens {@code dir} (absolute; links in it followed: it is configuration, not input). */
  static int openDirectory(Path dir) throws IOException {
    return open(AT_FDCWD, dir.toString(), FLAGS.directory(), dir);
  }

  /**
   * Opens directory {@code name} inside the open directory {@code parent}; a symbolic link there is
   * refused ({@link ConfinedDirectory.LinkRefusedException}), not followed.
   */
  static int openDirectory(int parent, String name) throws IOException {
    return open(parent, name, FLAGS.directory() | FLAGS.noFollow(), path(parent).resolve(name));
  }

  /**
   * Opens {@code file} read-only; a symbolic link at its last component is refused, and a FIFO
   * swapped in does not block the caller (O_NONBLOCK).
   */
  static int openFile(Path file) throws IOException {
    return open(AT_FDCWD, file.toString(), FLAGS.noFollow() | O_NONBLOCK, file);
  }

  private static int open(int dirfd, String name, int flags, Path shown) throws IOException {
    try {
      return LIBC.openat(dirfd, name, O_RDONLY | O_CLOEXEC | flags, 0);
    } catch (LastErrorException e) {
      throw exception(e.getErrorCode(), shown);
    }
  }

  static void close(int fd) {
    try {
      LIBC.close(fd);
    } catch (LastErrorException e) {
      // nothing to do: the descriptor is gone either way
    }
  }

  /** A path java.nio can use for {@code name} in the open directory {@code fd}. */
  static Path path(int fd) {
    return Path.of("/proc/self/fd/" + fd);
  }

  /** What asking for a read lease said. */
  enum Lease {
    /** Granted: nobody has the file open for writing; opening it for writing now waits for us. */
    HELD,
    /** Some process has the file open for writing. */
    BUSY,
    /** Leases are not possible here (not the owner without CAP_LEASE, a file system without). */
    UNKNOWN
  }

  /**
   * Asks for a read lease on {@code fd} (a file opened read-only). While held, a process opening
   * the file for writing (or truncating it) waits until it is released, at most {@code
   * /proc/sys/fs/lease-break-time} seconds.
   */
  static Lease lease(int fd) {
    try {
      LIBC.fcntl(fd, F_SETSIG, SIGURG);
      LIBC.fcntl(fd, F_SETLEASE, F_RDLCK);
    } catch (LastErrorException e) {
      return e.getErrorCode() == EAGAIN ? Lease.BUSY : Lease.UNKNOWN;
    }
    try {
      // Setting a lease makes us the owner of its notifications; nobody needs them.
      LIBC.fcntl(fd, F_SETOWN, 0);
    } catch (LastErrorException e) {
      // SIGURG is ignored anyway
    }
    return Lease.HELD;
  }

  /** Whether a process asked to open the leased file for writing since the lease was granted. */
  static boolean leaseBroken(int fd) {
    try {
      return LIBC.fcntl(fd, F_GETLEASE, 0) != F_RDLCK;
    } catch (LastErrorException e) {
      return true;
    }
  }

  /** Releases the lease: a writer waiting for it goes on. */
  static void release(int fd) {
    try {
      LIBC.fcntl(fd, F_SETLEASE, F_UNLCK);
    } catch (LastErrorException e) {
      // closing the descriptor releases it too
    }
  }

  private static IOException exception(int errno, Path path) {
    return switch (errno) {
      case ENOENT -> new NoSuchFileException(path.toString());
      case EACCES -> new AccessDeniedException(path.toString());
      case ELOOP, ENOTDIR -> new ConfinedDirectory.LinkRefusedException(path.toString());
      default -> new FileSystemException(path.toString(), null, "errno " + errno);
    };
  }
}
