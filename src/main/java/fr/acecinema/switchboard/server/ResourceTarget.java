package fr.acecinema.switchboard.server;

import fr.acecinema.switchboard.fleet.FleetWriter;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.runtime.ResourceKey;
import java.io.IOException;
import java.util.List;

/**
 * Where resources created through the API are declared: files in the watched directory ({@link
 * ManifestDirectoryTarget}) or another source the operator watches (e.g. a table). The API reads
 * back what the target holds, so a write is visible to the next read at once, before the operator
 * has picked it up.
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

  /** Declares (creates or replaces) one resource; called only after {@link #check} passed. */
  void write(ResourceKey key, String yaml) throws IOException;

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
}
