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
 * @param leader how this hub takes part in a leader election; null: none, it does everything
 */
public record RecordsSettings(
    String databaseUrl,
    Path dataDir,
    int bufferCapacity,
    boolean tableSource,
    LeaderSettings leader) {

  /** No leader election: this hub does everything. */
  public RecordsSettings(
      String databaseUrl, Path dataDir, int bufferCapacity, boolean tableSource) {
    this(databaseUrl, dataDir, bufferCapacity, tableSource, null);
  }

  /**
   * Hubs sharing the database elect a leader ({@link Leadership}).
   *
   * @param hub this hub's name
   * @param lease how long the leader's lease runs without renewal
   */
  public record LeaderSettings(String hub, java.time.Duration lease) {}

  public RecordsSettings withLeader(LeaderSettings l) {
    return new RecordsSettings(databaseUrl, dataDir, bufferCapacity, tableSource, l);
  }

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
