package fr.acecinema.switchboard.server;

import fr.acecinema.switchboard.config.SwitchboardConfig;
import fr.acecinema.switchboard.operator.RecordsPlane;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.DatabaseUnavailableException;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import fr.acecinema.switchboard.postgres.ResourceTable;
import java.util.Optional;
import java.util.function.Supplier;

/** What the API of {@code sbctl run} reads and writes, from the configuration. */
public final class ApiTargets {
  private ApiTargets() {}

  /**
   * Where the API stores what it creates ({@code --api-target}). Rows and files are one fleet
   * whatever the target: reads show both, writes go where the resource is declared, only new
   * resources go to {@code --api-target}. The table is the process's own database, opened in the
   * background: until it is open the table target answers 503.
   */
  public static ResourceTarget of(SwitchboardConfig config, Optional<RecordsPlane> records) {
    ManifestDirectoryTarget files =
        new ManifestDirectoryTarget(config.manifests(), config.subnetPolicy());
    boolean toTable = config.apiTarget() == SwitchboardConfig.ApiTarget.table;
    if (records.isEmpty()) {
      if (toTable) {
        throw new IllegalStateException(
            "--api-target table needs the records plane (--records on)");
      }
      return files;
    }
    RecordsPlane plane = records.get();
    return new FleetTarget(
        files,
        new TableTarget(
            () -> new ResourceTable(opened(plane)), config.manifests(), config.subnetPolicy()),
        toTable);
  }

  /**
   * The records the API serves: the process's own database, opened in the background; until it is
   * open the records paths answer 503.
   */
  public static Supplier<RecordsRepository> records(RecordsPlane plane) {
    return () -> new RecordsRepository(opened(plane));
  }

  private static Database opened(RecordsPlane plane) {
    return plane
        .database()
        .orElseThrow(
            () ->
                new DatabaseUnavailableException(
                    "the database is still starting (see the RecordsSynced condition on"
                        + " /readyz)",
                    null));
  }
}
