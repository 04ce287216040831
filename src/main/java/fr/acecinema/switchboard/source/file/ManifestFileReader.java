package fr.acecinema.switchboard.source.file;

import fr.acecinema.switchboard.manifest.ConfinedDirectory;
import fr.acecinema.switchboard.manifest.SyntaxError;
import fr.acecinema.switchboard.source.Origin;
import fr.acecinema.switchboard.source.Rejection;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads one manifest file's bytes without trusting what sits at its path: only a regular file is
 * ever opened (opening a FIFO would block the reader forever), the size is checked before reading
 * and the read itself is bounded (a file growing meanwhile cannot exhaust the heap), and a broken
 * or looping symbolic link is reported instead of being mistaken for a deleted file. The operator's
 * directory source and {@code sbctl} share it, so both report the same problem the same way.
 *
 * <p>A symbolic link (of the file, or of a directory on the way) that leads out of the manifests
 * directory is not followed: the file is reported as unreadable and never opened. Switchboard often
 * runs as root; following such a link would let anyone who can write the manifests directory have
 * it read, and quote in its rejection messages (logs, the API, statuses), any file of the machine,
 * {@code /etc/shadow} included. Links inside the directory are followed. The file is opened through
 * its directory opened without following links ({@link ConfinedDirectory}), so a link swapped in
 * after the check is refused too.
 */
public final class ManifestFileReader {
  /** What reading a path gave. */
  public sealed interface Outcome permits Content, Unreadable, Missing {}

  /** The file's bytes, at most the size limit. */
  public record Content(byte[] bytes) implements Outcome {}

  /** Why the path cannot be read as a manifest, as a rejection naming it and the fix. */
  public record Unreadable(Rejection rejection) implements Outcome {}

  /** Nothing at the path (deleted meanwhile). */
  public record Missing() implements Outcome {}

  /** Reads at most {@code limit} bytes of a regular file; a seam for tests. */
  @FunctionalInterface
  public interface Bytes {
    byte[] read(Path file, int limit) throws IOException;
  }

  private ManifestFileReader() {}

  /** What a file leading out of the manifests directory is told. */
  static final String OUTSIDE =
      "is a symbolic link, or lies under one, that leads outside the manifests directory;"
          + " Switchboard does not follow such links (it would read any file of the machine with"
          + " its own rights): move or copy the file into the directory";

  /**
   * Reads {@code file} under {@code root}, known as {@code location} in {@code source}, up to
   * {@code maxBytes}.
   */
  public static Outcome read(Path root, Path file, String source, String location, long maxBytes) {
    return read(root, file, source, location, maxBytes, ManifestFileReader::readAtMost);
  }

  /** As {@link #read(Path, Path, String, String, long)}, reading through {@code bytes}. */
  public static Outcome read(
      Path root, Path file, String source, String location, long maxBytes, Bytes bytes) {
    ConfinedDirectory.Location where;
    try {
      where = ConfinedDirectory.locate(root, file);
    } catch (NoSuchFileException e) {
      return new Missing(); // the root itself is gone
    } catch (IOException e) {
      return unreadable(source, location, "file cannot be read: " + e);
    }
    return switch (where) {
      case ConfinedDirectory.Outside o -> unreadable(source, location, "file " + OUTSIDE);
      case ConfinedDirectory.Unresolved u -> read(file, source, location, maxBytes, bytes);
      case ConfinedDirectory.Inside inside -> {
        try (ConfinedDirectory dir = inside.openParent()) {
          yield read(dir.resolve(inside.name()), source, location, maxBytes, bytes);
        } catch (ConfinedDirectory.LinkRefusedException e) {
          yield unreadable(
              source,
              location,
              "a directory on the way was replaced by a symbolic link while it was read;"
                  + " it is read again at the next change");
        } catch (NoSuchFileException e) {
          yield new Missing();
        } catch (IOException e) {
          yield unreadable(source, location, "file cannot be read: " + e);
        }
      }
    };
  }

  /** Reads {@code file} where it is (its directory already checked), never through a link. */
  private static Outcome read(
      Path file, String source, String location, long maxBytes, Bytes bytes) {
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        if (Files.isSymbolicLink(file) && !Files.exists(file)) {
          return unreadable(source, location, brokenLink(file));
        }
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
          return new Missing();
        }
        return unreadable(
            source,
            location,
            "file is not a regular file (a directory, FIFO, socket or device);"
                + " replace it with a YAML file");
      }
      long size =
          Files.readAttributes(
                  file,
                  java.nio.file.attribute.BasicFileAttributes.class,
                  LinkOption.NOFOLLOW_LINKS)
              .size();
      int limit = (int) Math.min(Integer.MAX_VALUE - 16, maxBytes + 1);
      byte[] content = size > maxBytes ? null : bytes.read(file, limit);
      if (content == null || content.length > maxBytes) {
        long shown = content == null ? size : content.length;
        return new Unreadable(
            DocumentAdmission.syntaxError(
                source,
                location,
                new SyntaxError(
                    0,
                    0,
                    "file is "
                        + (content == null ? "" : "at least ")
                        + shown
                        + " bytes, larger than the limit of "
                        + maxBytes
                        + " bytes; split it into several files")));
      }
      return new Content(content);
    } catch (NoSuchFileException e) {
      return new Missing();
    } catch (AccessDeniedException e) {
      return unreadable(
          source,
          location,
          "file cannot be read: permission denied; make it readable by Switchboard");
    } catch (IOException e) {
      return unreadable(source, location, "file cannot be read: " + e);
    }
  }

  private static String brokenLink(Path file) {
    String target;
    try {
      target = Files.readSymbolicLink(file).toString();
    } catch (IOException e) {
      target = "?";
    }
    try {
      file.toRealPath();
      return "file is a symbolic link to " + target + ", which cannot be followed";
    } catch (NoSuchFileException e) {
      return "file is a symbolic link to "
          + target
          + ", which does not exist; fix the link or remove it";
    } catch (FileSystemException e) {
      // ELOOP: the JDK has no dedicated exception for it, only the OS reason.
      return "file is a symbolic link loop ("
          + target
          + ": "
          + (e.getReason() == null ? "too many levels of symbolic links" : e.getReason())
          + "); point the symbolic link at a YAML file or remove it";
    } catch (IOException e) {
      return "file is a symbolic link to " + target + " that cannot be followed: " + e;
    }
  }

  private static Unreadable unreadable(String source, String location, String problem) {
    return new Unreadable(
        new Rejection(
            null,
            new Origin(source, location, 0, 0),
            0,
            DocumentAdmission.FILE_UNREADABLE,
            location + ": " + problem,
            false));
  }

  /**
   * Reads at most {@code limit} bytes, so a file growing after its size was checked is cut; a link
   * swapped in at the file's name is refused, not followed.
   */
  public static byte[] readAtMost(Path file, int limit) throws IOException {
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      return in.readNBytes(limit);
    }
  }
}
