package fr.acecinema.switchboard.manifest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;

/**
 * Replaces a file's content so that readers see either the old or the new content, never a mix, and
 * a crash leaves one of the two on disk: write a hidden temporary file next to it, fsync, rename
 * over the target, fsync the directory. The new file keeps the old one's owner, group and mode
 * (when the process may set them: as root it may).
 *
 * <p>A symbolic link at the target is refused, never written through: which links may be followed
 * is the caller's decision (see {@link ConfinedDirectory}), and a rename over a link would replace
 * the link, not its target.
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

  /**
   * How a status write makes sure nobody is still writing the file it replaces.
   *
   * @param quiet without a lease, how long the file must have been left alone
   * @param leases whether to ask for a read lease (tests turn it off to exercise the fallback)
   */
  public record Settling(Duration quiet, boolean leases) {
    /** Leases where the kernel grants them, else a quiet period of {@code quiet}. */
    public static Settling of(Duration quiet) {
      return new Settling(quiet, true);
    }
  }

  /** What a settled write did. */
  public enum Result {
    /** The new content is in place. */
    WRITTEN,
    /** The precondition failed, or the file changed during the write: nothing replaced. */
    CHANGED,
    /** The file is being written by someone (or changed too recently to tell): try later. */
    BUSY
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
    return write(target, content, precondition, null) == Result.WRITTEN;
  }

  /**
   * As {@link #write(Path, String, Precondition)}, but never replaces a file that may still be
   * being written, whose writer would otherwise go on writing into the replaced, unlinked file and
   * lose the rest of its edit ({@code cat > file}, an editor writing in several calls, a slow
   * {@code ssh}):
   *
   * <ul>
   *   <li>where the kernel grants a read lease (Linux, the file's owner or root), the file is
   *       leased from before it is read until after the swap: the lease is refused while any
   *       process has the file open for writing ({@link Result#BUSY}), and a process opening it for
   *       writing meanwhile waits for the lease, which tells us, and the file is swapped back;
   *   <li>elsewhere, a file whose inode changed less than {@code settling.quiet()} ago is {@link
   *       Result#BUSY}: a guess, a writer pausing longer than that still loses its tail.
   * </ul>
   */
  public static Result write(
      Path target, String content, Precondition precondition, Settling settling)
      throws IOException {
    if (Files.isSymbolicLink(target)) {
      throw new ConfinedDirectory.LinkRefusedException(target.toString());
    }
    Path dir = target.toAbsolutePath().getParent();
    Path temp =
        dir.resolve(
            TEMP_PREFIX
                + target.getFileName()
                + "-"
                + ProcessHandle.current().pid()
                + "-"
                + UUID.randomUUID().toString().substring(0, 8)
                + TEMP_SUFFIX);
    byte[] ours = content.getBytes(StandardCharsets.UTF_8);
    FileLease lease = null;
    try {
      try (FileChannel channel = createTemporary(temp, Files.exists(target))) {
        ByteBuffer bytes = ByteBuffer.wrap(ours);
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
        channel.force(true);
      }
      copyOwnerAndMode(target, temp);
      if (settling != null) {
        lease = settling.leases() ? FileLease.take(target) : FileLease.none();
        if (lease.busy() || (lease.unsupported() && recentlyChanged(target, settling.quiet()))) {
          return Result.BUSY;
        }
      }
      // Read before the precondition: a change after this read either fails the precondition or
      // shows in what the replacement below takes out of place.
      byte[] checked = readOrNull(target);
      if (!precondition.holds() || (lease != null && !lease.isOf(target))) {
        return Result.CHANGED;
      }
      if (checked != null && RenameExchange.available()) {
        try {
          return swap(temp, target, checked, ours, lease) ? Result.WRITTEN : Result.CHANGED;
        } catch (UnsupportedOperationException e) {
          // this file system cannot swap: the hard-link fallback below
        }
      }
      return replace(temp, target, checked) ? Result.WRITTEN : Result.CHANGED;
    } finally {
      if (lease != null) {
        lease.close();
      }
      // After a swap the temporary name holds the replaced file; after a rename it is gone.
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Creates the temporary file; private (0600) when it replaces a file, until it gets that file's
   * owner and mode: the content may be readable only by its owner.
   */
  private static FileChannel createTemporary(Path temp, boolean replacing) throws IOException {
    var options = java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    if (replacing) {
      try {
        return FileChannel.open(
            temp,
            options,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system: no modes to protect
      }
    }
    return FileChannel.open(temp, options);
  }

  /**
   * Whether some process has {@code file} open for writing right now (Linux read leases; false
   * where that cannot be known: not the file's owner nor root, a link at {@code file}, no leases).
   */
  public static boolean beingWritten(Path file) {
    try (FileLease lease = FileLease.take(file)) {
      return lease.busy();
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether the file's inode changed (content, rename, chmod) less than {@code quiet} ago. */
  private static boolean recentlyChanged(Path file, Duration quiet) throws IOException {
    FileTime changed;
    try {
      changed = (FileTime) Files.getAttribute(file, "unix:ctime", LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      changed = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return false;
    }
    long age = System.currentTimeMillis() - changed.toMillis();
    // A change time well in the future means the clock was set back since: not a live writer,
    // whose changes carry the current time.
    return age > -1000 && age < quiet.toMillis();
  }

  /**
   * Swaps the new content in, then looks at what came out: if it is not what the precondition
   * vouched for, a user saved in between (by rename, or in place: O_TRUNC shows at once), and their
   * file is swapped back, unless the file changed again since.
   */
  private static boolean swap(Path temp, Path real, byte[] checked, byte[] ours, FileLease lease)
      throws IOException {
    RenameExchange.swap(temp, real);
    // A writer that opened the file while we held its lease waits on the replaced inode: give it
    // back its file.
    if (!Arrays.equals(readOrNull(temp), checked) || (lease != null && lease.broken())) {
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
          && (!Arrays.equals(readOrNull(previous), checked) || !sameFile(previous, real))) {
        return false;
      }
      try {
        Files.move(temp, real, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the file system of " + dir + " cannot rename atomically", e);
      }
      if (previous != null && !Arrays.equals(readOrNull(previous), checked)) {
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

  /**
   * The file's bytes, never through a link (a link at {@code file} fails with a {@link
   * FileSystemException}); null when there is no file.
   */
  public static byte[] readOrNull(Path file) throws IOException {
    try (var in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      return in.readAllBytes();
    } catch (NoSuchFileException e) {
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
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  /**
   * Gives {@code to} the owner, group and mode of {@code from}: a status write must not turn a
   * user's file into root's. Owner first (a chown clears set-id bits). Without the right to chown
   * (not root), the file becomes the writer's, as with any editor that saves by rename.
   */
  private static void copyOwnerAndMode(Path from, Path to) throws IOException {
    PosixFileAttributeView target =
        Files.getFileAttributeView(to, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    PosixFileAttributes source;
    try {
      source = Files.readAttributes(from, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException | UnsupportedOperationException e) {
      return; // a new file: created with the process's umask, as by anyone else
    }
    if (target == null) {
      return;
    }
    PosixFileAttributes current = target.readAttributes();
    try {
      if (!current.owner().equals(source.owner())) {
        target.setOwner(source.owner());
      }
      if (!current.group().equals(source.group())) {
        target.setGroup(source.group());
      }
    } catch (FileSystemException e) {
      // EPERM: not root; the file becomes ours, as with any editor saving by rename
    }
    target.setPermissions(source.permissions());
  }

  /** Makes the rename itself durable; some systems cannot open a directory, which is fine. */
  private static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // best effort: the content is already durable, only the rename might be replayed
    }
  }

  private static final java.util.regex.Pattern OURS =
      java.util.regex.Pattern.compile(
          java.util.regex.Pattern.quote(TEMP_PREFIX)
              + ".+?(?:-(\\d{1,10}))?-[0-9a-f]{8}(?:-previous)?"
              + java.util.regex.Pattern.quote(TEMP_SUFFIX));

  /**
   * Whether {@code name} is exactly what {@link #write} names its temporary files ({@code
   * .switchboard-NAME-PID-1234abcd.tmp}, {@code .switchboard-NAME-PID-1234abcd-previous.tmp}, and
   * the same without {@code PID} from older versions): the names a cleanup may delete. {@link
   * #isTemporary} is the wider test the watcher ignores.
   */
  public static boolean isOurTemporary(String name) {
    return OURS.matcher(name).matches();
  }

  /** The id of the process that made temporary file {@code name}, when its name says. */
  public static java.util.OptionalLong writerOf(String name) {
    var m = OURS.matcher(name);
    if (!m.matches() || m.group(1) == null) {
      return java.util.OptionalLong.empty();
    }
    return java.util.OptionalLong.of(Long.parseLong(m.group(1)));
  }

  /** Whether {@code name} is one of our temporary files. */
  public static boolean isTemporary(String name) {
    return name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX);
  }
}
