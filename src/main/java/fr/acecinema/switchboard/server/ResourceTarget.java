package fr.acecinema.switchboard.server;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.FleetWriter;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.manifest.ParsedDocument;
import java.io.IOException;
import java.util.List;

/**
 * Where resources created through the API are declared: files in the watched directory ({@link
 * ManifestDirectoryTarget}) or another source the operator watches (e.g. a table). The API reads
 * back what the target holds, so a write is visible to the next read at once, before the operator
 * has picked it up.
 *
 * <p>Any method may throw {@link UnavailableException} when the store behind the target cannot be
 * reached (the API answers 503).
 */
public interface ResourceTarget {
  /** Everything declared, accepted or rejected, as {@code sbctl get} lists it. */
  List<ResourceRow> list() throws IOException;

  /**
   * Checks one resource's YAML exactly as the operator would accept it, without writing.
   *
   * @throws ConflictException when the resource cannot be written where it is declared
   */
  FleetWriter.Check check(ResourceKey key, String yaml) throws IOException;

  /**
   * Declares (creates or replaces) one resource; called only after {@link #check} passed.
   *
   * @return the generation {@link #list()} reports for it from now on
   */
  long write(ResourceKey key, String yaml) throws IOException;

  /**
   * The generation {@link #list()} would report for {@code key} once {@code document} is written,
   * without writing. Files derive it from the document's content (the default); a store that counts
   * changes answers from what it holds now.
   */
  default long generationAfter(ResourceKey key, ParsedDocument document) throws IOException {
    return document.generation();
  }

  /**
   * Removes the declaration of {@code key}.
   *
   * @return false when nothing declares it
   */
  boolean delete(ResourceKey key) throws IOException;

  /** The write would clobber something else, or the declaration lives where the API cannot edit. */
  final class ConflictException extends RuntimeException {
    public ConflictException(String message) {
      super(message);
    }
  }

  /** The store behind the target cannot be reached now; the request may be retried later. */
  final class UnavailableException extends RuntimeException {
    public UnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
