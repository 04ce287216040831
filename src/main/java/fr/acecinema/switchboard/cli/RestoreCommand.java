package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.RecordsArchive;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sbctl restore FILE}: replaces the records by those of a backup. */
@Command(
    name = "restore",
    description = {
      "Replace every PostgreSQL record by those of a backup written by sbctl backup, in one"
          + " transaction (the database is first migrated to this version's schema; a backup of"
          + " an older version loads into it). Refuses to erase existing records without"
          + " --replace."
    })
final class RestoreCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "FILE", description = "A file written by sbctl backup.")
  Path file;

  @Option(
      names = "--replace",
      description = "Erase the records the database holds now (a restore replaces them all).")
  boolean replace;

  @Override
  public Integer call() throws Exception {
    root.setUpLogging(false);
    RecordsArchive.Summary backup = RecordsArchive.describe(file);
    try (Database db = RecordsAccess.openEvenStopped(root.config())) {
      RecordsArchive archive = new RecordsArchive(db);
      Map<String, Long> now = archive.rowCounts();
      long existing = now.values().stream().mapToLong(Long::longValue).sum();
      if (existing > 0 && !replace) {
        spec.commandLine()
            .getErr()
            .printf(
                "error: the database holds %d rows (%s); restoring %s replaces them all. Add"
                    + " --replace to do so (sbctl backup -o FILE keeps them first).%n",
                existing, nonEmpty(now), file);
        return Sbctl.FAILURE;
      }
      RecordsArchive.Summary restored = archive.restore(file);
      spec.commandLine()
          .getOut()
          .printf(
              "restored %d rows from %s (written %s by Switchboard %s, schema version %s)%n",
              restored.totalRows(),
              file,
              backup.createdAt(),
              backup.switchboardVersion(),
              backup.schemaVersion());
    }
    spec.commandLine().getOut().flush();
    return Sbctl.OK;
  }

  private static Map<String, Long> nonEmpty(Map<String, Long> counts) {
    Map<String, Long> out = new java.util.TreeMap<>();
    counts.forEach(
        (k, v) -> {
          if (v > 0) {
            out.put(k, v);
          }
        });
    return out;
  }
}
