package fr.acecinema.switchboard.operator;

import java.nio.file.Path;

/**
 * How the operator keeps its records in PostgreSQL.
 *
 * @param databaseUrl external database ({@code jdbc:postgresql://…} or {@code postgresql://…});
 *     blank starts an embedded PostgreSQL in {@code dataDir/postgres}
 * @param dataDir the process's data directory; the embedded server's port is written to {@code
 *     dataDir/postgres.port} for sbctl
 * @param bufferCapacity records (transitions, events, probe minutes, revisions) kept in memory
 *     while the database is unavailable; the oldest are dropped beyond it
 * @param tableSource whether rows of the {@code resources} table declare resources too
 */
public record RecordsSettings(
    String databaseUrl, Path dataDir, int bufferCapacity, boolean tableSource) {

  /** Default buffer capacity. */
  public static final int DEFAULT_BUFFER = 10_000;

  /** Embedded database in {@code dataDir}, table source on. */
  public static RecordsSettings embedded(Path dataDir) {
    return new RecordsSettings("", dataDir, DEFAULT_BUFFER, true);
  }

  public boolean embeddedDatabase() {
    return databaseUrl == null || databaseUrl.isBlank();
  }
}
