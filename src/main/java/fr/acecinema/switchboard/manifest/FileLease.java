package fr.acecinema.switchboard.manifest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A read lease on a file (Linux {@code fcntl(F_SETLEASE, F_RDLCK)}): granted only while no process
 * has the file open for writing, and while it is held a process opening the file for writing waits
 * (at most {@code /proc/sys/fs/lease-break-time}) and the holder can see that it tried. It is how a
 * status write knows that nobody is in the middle of writing the file it is about to replace.
 */
final class FileLease implements AutoCloseable {
  private static final FileLease UNSUPPORTED = new FileLease(-1, Posix.Lease.UNKNOWN);
  private static final FileLease ABSENT = new FileLease(-1, Posix.Lease.HELD);

  private final int fd;
  private final Posix.Lease state;

  private FileLease(int fd, Posix.Lease state) {
    this.fd = fd;
    this.state = state;
  }

  /**
   * Leases {@code file} (never through a link); a missing file needs no lease, a file that cannot
   * be leased here is {@link #unsupported()}.
   */
  static FileLease take(Path file) throws IOException {
    if (!Posix.available()) {
      return UNSUPPORTED;
    }
    if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? UNSUPPORTED : ABSENT;
    }
    int fd;
    try {
      fd = Posix.openFile(file);
    } catch (NoSuchFileException e) {
      return ABSENT;
    }
    Posix.Lease state = Posix.lease(fd);
    if (state != Posix.Lease.HELD) {
      Posix.close(fd);
      return new FileLease(-1, state);
    }
    return new FileLease(fd, state);
  }

  /** No lease, as where leases are not possible. */
  static FileLease none() {
    return UNSUPPORTED;
  }

  /** Some process has the file open for writing. */
  boolean busy() {
    return state == Posix.Lease.BUSY;
  }

  /** No lease could be asked for or granted here (not the owner, a file system without leases). */
  boolean unsupported() {
    return state == Posix.Lease.UNKNOWN;
  }

  /** Whether the leased file is the one at {@code file} now (true when nothing was leased). */
  boolean isOf(Path file) throws IOException {
    if (fd < 0) {
      return true;
    }
    try {
      return Files.isSameFile(Posix.path(fd), file);
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  /** Whether a process tried to open the file for writing while the lease was held. */
  boolean broken() {
    return fd >= 0 && Posix.leaseBroken(fd);
  }

  @Override
  public void close() {
    if (fd >= 0) {
      Posix.release(fd);
      Posix.close(fd);
    }
  }
}
