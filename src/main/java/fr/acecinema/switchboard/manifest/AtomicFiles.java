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
    boolean moved = false;
    try {
      try (FileChannel channel =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer bytes = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
        channel.force(true);
      }
      copyPermissions(real, temp);
      if (!precondition.holds()) {
        return false;
      }
      try {
        Files.move(temp, real, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the file system of " + dir + " cannot rename atomically", e);
      }
      moved = true;
      syncDirectory(dir);
      return true;
    } finally {
      if (!moved) {
        Files.deleteIfExists(temp);
      }
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
