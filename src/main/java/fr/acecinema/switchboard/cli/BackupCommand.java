package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.RecordsArchive;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sbctl backup -o FILE}: the records (embedded or external PostgreSQL) as one file, through
 * the database connection: no {@code pg_dump} of a matching version needed.
 */
@Command(
    name = "backup",
    description = {
      "Write every PostgreSQL record (resources table, inventory, health history, probe minutes,"
          + " revisions, events) to one file, from one consistent snapshot. Works on a running or"
          + " a stopped hub, embedded or external database. Restore with sbctl restore.",
      "The manifests directory and DATA_DIR/tokens.json are not in it: keep them in git / copy"
          + " them."
    })
final class BackupCommand implements Callable<Integer> {
  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "FILE",
      description = "The backup file to write (replaced atomically when it exists).")
  Path output;

  @Override
  public Integer call() throws Exception {
    root.setUpLogging(false);
    Path target = output.toAbsolutePath();
    Path tmp = target.resolveSibling("." + target.getFileName() + ".partial");
    RecordsArchive.Summary summary;
    try (Database db = RecordsAccess.openEvenStopped(root.config());
        OutputStream out = Files.newOutputStream(tmp)) {
      summary = new RecordsArchive(db).backup(out, Sbctl.Version.version());
    } catch (RuntimeException | java.io.IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    // A backup interrupted half-way must never pass for a whole one.
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    spec.commandLine()
        .getOut()
        .printf(
            "backup written to %s: %d rows (%s), schema version %s%n",
            output, summary.totalRows(), summary.rows(), summary.schemaVersion());
    spec.commandLine().getOut().flush();
    return Sbctl.OK;
  }
}
