package fr.acecinema.switchboard.source.file;

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

  /** Reads {@code file}, known as {@code location} in {@code source}, up to {@code maxBytes}. */
  public static Outcome read(Path file, String source, String location, long maxBytes) {
    return read(file, source, location, maxBytes, ManifestFileReader::readAtMost);
  }

  /** As {@link #read(Path, String, String, long)}, reading through {@code bytes}. */
  public static Outcome read(
      Path file, String source, String location, long maxBytes, Bytes bytes) {
    try {
      if (!Files.isRegularFile(file)) {
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
      long size = Files.size(file);
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

  /** Reads at most {@code limit} bytes, so a file growing after its size was checked is cut. */
  public static byte[] readAtMost(Path file, int limit) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return in.readNBytes(limit);
    }
  }
}
