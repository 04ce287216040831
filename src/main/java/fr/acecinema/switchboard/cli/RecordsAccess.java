package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.config.SwitchboardConfig;
import fr.acecinema.switchboard.operator.RecordsPlane;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.EmbeddedPostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import picocli.CommandLine.Model.CommandSpec;

/**
 * How sbctl reaches the records: the API of a remote Switchboard ({@code SWITCHBOARD_SERVER}), the
 * external database of {@code --database-url}, or the embedded server a running {@code sbctl run}
 * started under the same data dir, found through the port it wrote to {@code
 * DATA_DIR/postgres.port} (removed when it stops).
 */
final class RecordsAccess {
  private RecordsAccess() {}

  /** The text a records command prints, read from the records; ages are told from the clock. */
  @FunctionalInterface
  interface Report {
    String render(RecordsReader records, Clock clock) throws IOException;
  }

  /**
   * The body of {@code events}, {@code history} and {@code revisions}: reads the records, prints
   * {@code report} on the command's stdout and closes the connection; returns the exit code.
   */
  static int print(Sbctl root, CommandSpec spec, Report report) throws IOException {
    root.setUpLogging(false);
    try (RecordsReader records = reader(root.config())) {
      spec.commandLine().getOut().print(report.render(records, root.clock()));
    }
    spec.commandLine().getOut().flush();
    return Sbctl.OK;
  }

  /**
   * The records: through the API of {@code SWITCHBOARD_SERVER} when it is set, else from the
   * database (see {@link #open}).
   */
  static RecordsReader reader(SwitchboardConfig config) throws IOException {
    if (config.server().isPresent()) {
      return new RemoteRecords(LocalFleetAccess.api(config));
    }
    return new LocalRecords(open(config));
  }

  /** Opens the records database; the message of the exception says what to do when it cannot. */
  static Database open(SwitchboardConfig config) throws IOException {
    if (!config.embeddedDatabase()) {
      return Database.open(config.databaseUrl(), config.dataDir());
    }
    return Database.open(embeddedUrl(config.dataDir()), config.dataDir());
  }

  /**
   * As {@link #open}, and when the embedded database's operator is not running, starts the embedded
   * server on its data directory for the duration of the command ({@code backup} and {@code
   * restore} on a stopped hub). Refuses when a server runs there without its port file.
   */
  static Database openEvenStopped(SwitchboardConfig config) throws IOException {
    if (!config.embeddedDatabase()
        || Files.exists(config.dataDir().resolve(RecordsPlane.PORT_FILE))) {
      return open(config);
    }
    Path cluster = config.dataDir().resolve("postgres");
    if (Files.exists(cluster.resolve("postmaster.pid"))) {
      throw new IOException(
          "a PostgreSQL server runs on "
              + cluster
              + " but "
              + config.dataDir().resolve(RecordsPlane.PORT_FILE)
              + " is missing; start `sbctl run` with --data-dir "
              + config.dataDir()
              + " (it adopts or stops that server), then run this command again");
    }
    if (!Files.isDirectory(cluster)) {
      Files.createDirectories(cluster);
    }
    return Database.open("", config.dataDir());
  }

  /** The URL of the embedded server of a running operator using {@code dataDir}. */
  static String embeddedUrl(Path dataDir) throws IOException {
    Path portFile = dataDir.resolve(RecordsPlane.PORT_FILE);
    if (!Files.exists(portFile)) {
      throw new IOException(
          "no running Switchboard database found: "
              + portFile
              + " does not exist; start `sbctl run` with the same --data-dir ("
              + dataDir
              + "), or give --database-url / SWITCHBOARD_DATABASE_URL. A hub that has just"
              + " started writes it once its embedded database is up (RecordsSynced on /readyz):"
              + " try again in a few seconds");
    }
    String text = Files.readString(portFile).strip();
    int port;
    try {
      port = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IOException(portFile + " holds '" + text + "', not a port; restart `sbctl run`");
    }
    return "jdbc:postgresql://127.0.0.1:"
        + port
        + "/"
        + EmbeddedPostgresServer.DATABASE
        + "?user="
        + EmbeddedPostgresServer.USER;
  }
}
