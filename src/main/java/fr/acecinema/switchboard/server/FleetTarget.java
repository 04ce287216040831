package fr.acecinema.switchboard.server;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.fleet.FleetWriter;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.manifest.ParsedDocument;
import java.io.IOException;
import java.util.List;

/**
 * Files and rows as one fleet for the API, whatever {@code --api-target} says: reads list both (a
 * name declared in both is listed as the {@code Conflict} it is); a write or delete goes where the
 * resource is declared (its row, or its file); only a new resource goes to the API target. A name
 * declared in one source is never created in the other: the check of the source that holds it
 * refuses what would be a duplicate (409, naming both places).
 *
 * <p>With the files as API target, the table is optional for reads: while the database cannot be
 * reached the files are listed alone and file writes go on (a row cannot be checked then; the
 * operator keeps serving the first declaration of a name, so a duplicate made meanwhile takes
 * nothing away). With the table as API target, an unreachable database is a 503, as before.
 */
public final class FleetTarget implements ResourceTarget {
  private final ManifestDirectoryTarget files;
  private final TableTarget table;
  private final boolean newToTable;

  /**
   * @param newToTable whether resources created through the API become rows ({@code --api-target
   *     table}) rather than files
   */
  public FleetTarget(ManifestDirectoryTarget files, TableTarget table, boolean newToTable) {
    this.files = files;
    this.table = table;
    this.newToTable = newToTable;
  }

  @Override
  public List<ResourceRow> list() throws IOException {
    try {
      return table.list();
    } catch (UnavailableException e) {
      if (newToTable) {
        throw e;
      }
      return files.list();
    }
  }

  @Override
  public FleetWriter.Check check(ResourceKey key, String yaml) throws IOException {
    return owner(key).check(key, yaml);
  }

  @Override
  public long write(ResourceKey key, String yaml) throws IOException {
    return owner(key).write(key, yaml);
  }

  @Override
  public long generationAfter(ResourceKey key, ParsedDocument document) throws IOException {
    return owner(key).generationAfter(key, document);
  }

  @Override
  public boolean delete(ResourceKey key) throws IOException {
    return owner(key).delete(key);
  }

  /**
   * The row's target when a row declares {@code key}, the files' when a file does, else the API
   * target. The table's check refuses a row whose name a file declares; the files' check is reached
   * only when no row holds the name.
   */
  private ResourceTarget owner(ResourceKey key) throws IOException {
    boolean row;
    try {
      row = table.declares(key);
    } catch (UnavailableException e) {
      if (newToTable) {
        throw e;
      }
      row = false;
    }
    if (row) {
      return table;
    }
    return !newToTable || files.declares(key) ? files : table;
  }
}
