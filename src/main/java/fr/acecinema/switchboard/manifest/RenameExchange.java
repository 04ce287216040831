package fr.acecinema.switchboard.manifest;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Linux {@code renameat2(RENAME_EXCHANGE)}: swaps two directory entries in one step. It lets a
 * status write replace a manifest and get back, atomically, exactly the file it replaced, so that a
 * user's save landing between the last check and the replacement is seen and put back. A plain
 * rename cannot do that: it silently destroys whatever it replaces. The JDK has no binding for it.
 */
final class RenameExchange {
  private static final int AT_FDCWD = -100;
  private static final int RENAME_EXCHANGE = 2;
  private static final int ENOENT = 2;
  private static final int EINVAL = 22;
  private static final int ENOSYS = 38;
  private static final int EOPNOTSUPP = 95;

  private static final Posix.LibC LIBC = Posix.libc();
  private static volatile boolean available = LIBC != null;

  private RenameExchange() {}

  /** Whether swapping is possible here (Linux, and no file system refused it so far). */
  static boolean available() {
    return available;
  }

  /**
   * Swaps {@code a} and {@code b}, both existing.
   *
   * @throws UnsupportedOperationException when the kernel or file system cannot swap; callers fall
   *     back to a rename, and {@link #available()} is false from then on
   */
  static void swap(Path a, Path b) throws IOException {
    try {
      LIBC.renameat2(AT_FDCWD, a.toString(), AT_FDCWD, b.toString(), RENAME_EXCHANGE);
    } catch (LastErrorException e) {
      int errno = e.getErrorCode();
      if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
        available = false;
        throw new UnsupportedOperationException("renameat2(RENAME_EXCHANGE): errno " + errno);
      }
      if (errno == ENOENT) {
        throw new NoSuchFileException(a + " or " + b);
      }
      throw new IOException("cannot swap " + a + " and " + b + ": errno " + errno);
    }
  }
}
