package fr.acecinema.switchboard.manifest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Set;
import java.util.UUID;

/**
 * Replaces a file's content so that readers see either the old or the new content, never a mix, and
 * a crash leaves one of the two on disk: write a hidden temporary file next to it, fsync, rename
 * over the target, fsync the directory.
 */
public final class AtomicFiles {
  /** Every temporary file starts with this; the directory watcher ignores such names. */
  public static final String TEMP_PREFIX = ".switchboard-";

  /** Suffix of temporary files. */
  public static final String TEMP_SUFFIX = ".tmp";

  /** Runs after the new content is on disk and right before the rename; may veto it. */
  @FunctionalInterface
  public interface Precondition {
    /** False cancels the write (the temporary file is removed). */
    boolean holds() throws IOException;
  }

  private AtomicFiles() {}

  /** Writes {@code content} (UTF-8) to {@code target} atomically. */
  public static void write(Path target, String content) throws IOException {
    write(target, content, () -> true);
  }

  /**
   * Writes {@code content} (UTF-8) to {@code target} atomically, unless {@code precondition} says
   * no right before the rename.
   *
   * @return whether the file was replaced
   */
  public static boolean write(Path target, String content, Precondition precondition)
      throws IOException {
    // Rename over a symlink would replace the link itself; write where it points instead.
    Path real = Files.isSymbolicLink(target) ? target.toRealPath() : target;
    Path dir = real.toAbsolutePath().getParent();
    Path temp =
        dir.resolve(
            TEMP_PREFIX
                + real.getFileName()
                + "-"
                + UUID.randomUUID().toString().substring(0, 8)
                + TEMP_SUFFIX);
    byte[] ours = content.getBytes(StandardCharsets.UTF_8);
    try {
      try (FileChannel channel =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer bytes = ByteBuffer.wrap(ours);
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
        channel.force(true);
      }
      copyPermissions(real, temp);
      // Read before the precondition: a change after this read either fails the precondition or
      // shows in what the replacement below takes out of place.
      byte[] checked = readOrNull(real);
      if (!precondition.holds()) {
        return false;
      }
      if (checked != null && RenameExchange.available()) {
        try {
          return swap(temp, real, checked, ours);
        } catch (UnsupportedOperationException e) {
          // this file system cannot swap: the hard-link fallback below
        }
      }
      return replace(temp, real, checked);
    } finally {
      // After a swap the temporary name holds the replaced file; after a rename it is gone.
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Swaps the new content in, then looks at what came out: if it is not what the precondition
   * vouched for, a user saved in between (by rename, or in place: O_TRUNC shows at once), and their
   * file is swapped back, unless the file changed again since.
   */
  private static boolean swap(Path temp, Path real, byte[] checked, byte[] ours)
      throws IOException {
    RenameExchange.swap(temp, real);
    if (!Arrays.equals(Files.readAllBytes(temp), checked)) {
      if (Arrays.equals(readOrNull(real), ours)) {
        RenameExchange.swap(temp, real);
      }
      syncDirectory(real.toAbsolutePath().getParent());
      return false;
    }
    syncDirectory(real.toAbsolutePath().getParent());
    return true;
  }

  /**
   * Without a swap: a hard link keeps the replaced inode reachable, so an in-place save that lands
   * between the check and the rename is put back; a save-as-rename in that short window is lost.
   */
  private static boolean replace(Path temp, Path real, byte[] checked) throws IOException {
    Path dir = real.toAbsolutePath().getParent();
    Path previous = checked == null ? null : link(real, temp);
    try {
      if (previous != null
          && (!Arrays.equals(Files.readAllBytes(previous), checked) || !sameFile(previous, real))) {
        return false;
      }
      try {
        Files.move(temp, real, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the file system of " + dir + " cannot rename atomically", e);
      }
      if (previous != null && !Arrays.equals(Files.readAllBytes(previous), checked)) {
        Files.move(
            previous, real, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        previous = null;
        syncDirectory(dir);
        return false;
      }
      syncDirectory(dir);
      return true;
    } finally {
      if (previous != null) {
        Files.deleteIfExists(previous);
      }
    }
  }

  private static byte[] readOrNull(Path file) throws IOException {
    try {
      return Files.readAllBytes(file);
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    }
  }

  /**
   * A hard link to {@code target} next to {@code temp}; null where hard links are not supported.
   */
  private static Path link(Path target, Path temp) throws IOException {
    Path previous =
        temp.resolveSibling(
            temp.getFileName().toString().replace(TEMP_SUFFIX, "-previous" + TEMP_SUFFIX));
    try {
      return Files.createLink(previous, target);
    } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
      // No file yet, or a file system without hard links: plain rename, no after-check.
      return null;
    }
  }

  private static boolean sameFile(Path a, Path b) throws IOException {
    try {
      return Files.isSameFile(a, b);
    } catch (java.nio.file.NoSuchFileException e) {
      return false;
    }
  }

  private static void copyPermissions(Path from, Path to) throws IOException {
    PosixFileAttributeView source = Files.getFileAttributeView(from, PosixFileAttributeView.class);
    PosixFileAttributeView target = Files.getFileAttributeView(to, PosixFileAttributeView.class);
    if (source == null || target == null || !Files.exists(from)) {
      return;
    }
    Set<PosixFilePermission> permissions = source.readAttributes().permissions();
    target.setPermissions(permissions);
  }

  /** Makes the rename itself durable; some systems cannot open a directory, which is fine. */
  private static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // best effort: the content is already durable, only the rename might be replayed
    }
  }

  /** Whether {@code name} is one of our temporary files. */
  public static boolean isTemporary(String name) {
    return name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX);
  }
}
