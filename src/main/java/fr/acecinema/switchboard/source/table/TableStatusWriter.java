package fr.acecinema.switchboard.source.table;

import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.postgres.Fence;
import fr.acecinema.switchboard.postgres.ResourceTable;
import fr.acecinema.switchboard.source.Origin;
import fr.acecinema.switchboard.source.StatusWriter;
import java.util.function.Supplier;

/**
 * Writes statuses back into rows of the resources table, guarded by the row's generation like the
 * file writer is guarded by the document's. A database that is down fails the write with {@code
 * DatabaseUnavailableException}; the runtime retries it, and the files are not affected. With a
 * leader election the table is fenced: a hub that does not lead writes nothing ({@code STALE}).
 */
public final class TableStatusWriter implements StatusWriter {
  private final Supplier<ResourceTable> table;

  public TableStatusWriter(Supplier<ResourceTable> table) {
    this.table = table;
  }

  @Override
  public Outcome write(Origin origin, long expectedGeneration, ObjectNode status) {
    String location = origin.location();
    int slash = location.indexOf('/');
    if (slash <= 0) {
      throw new IllegalArgumentException("not a table location: " + location);
    }
    ResourceTable.StatusWrite w;
    try {
      w =
          table
              .get()
              .writeStatus(
                  location.substring(0, slash),
                  location.substring(slash + 1),
                  expectedGeneration,
                  status);
    } catch (Fence.DeposedException e) {
      // Another hub leads: it writes its own statuses; this one republishes if it leads again.
      return Outcome.STALE;
    }
    return switch (w) {
      case WRITTEN -> Outcome.WRITTEN;
      case UNCHANGED -> Outcome.UNCHANGED;
      case STALE -> Outcome.STALE;
    };
  }
}
