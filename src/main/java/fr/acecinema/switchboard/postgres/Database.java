package fr.acecinema.switchboard.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switchboard's PostgreSQL: a small connection pool on an external database or on the embedded
 * server, with the schema migrated by Flyway.
 *
 * <p>A dead database fails calls within about {@link #CONNECTION_TIMEOUT_MS} ms with {@link
 * DatabaseUnavailableException}; the pool reconnects by itself when the database is back. When the
 * database is unreachable at start-up, migrations are retried before the next call that gets
 * through, so callers never run against an unmigrated schema.
 */
public final class Database implements AutoCloseable {
  /** How long a caller waits for a connection before the database counts as unavailable. */
  public static final long CONNECTION_TIMEOUT_MS = 2_000;

  private static final Logger log = LoggerFactory.getLogger(Database.class);

  private final JdbcTarget target;
  private final HikariDataSource pool;
  private final EmbeddedPostgresServer embedded;
  private final Database base;
  private final Fence fence;
  private volatile boolean migrated;

  private Database(JdbcTarget target, EmbeddedPostgresServer embedded) {
    this.target = target;
    this.embedded = embedded;
    this.pool = new HikariDataSource(poolConfig(target));
    this.base = null;
    this.fence = Fence.NONE;
  }

  private Database(Database base, Fence fence) {
    this.target = base.target;
    this.embedded = base.embedded;
    this.pool = base.pool;
    this.base = base;
    this.fence = fence;
  }

  /**
   * The same database (same pool) for writes only the fleet's leader may make: every piece of work
   * runs in a transaction that {@code fence} checks first. Closing the view closes nothing.
   */
  public Database fenced(Fence fence) {
    return fence == Fence.NONE ? this : new Database(base == null ? this : base, fence);
  }

  /**
   * Opens the database and migrates it.
   *
   * @param url external database URL ({@code postgresql://user:pass@host/db} or {@code
   *     jdbc:postgresql://...}); null or blank starts the embedded server
   * @param dataDir Switchboard's data directory; the embedded server keeps its cluster in {@code
   *     dataDir/postgres}
   */
  public static Database open(String url, Path dataDir) {
    return open(url, dataDir, 0);
  }

  /** As {@link #open(String, Path)}, with the embedded server's port (0 picks a free one). */
  public static Database open(String url, Path dataDir, int embeddedPort) {
    if (url == null || url.isBlank()) {
      EmbeddedPostgresServer server =
          new EmbeddedPostgresServer(dataDir.resolve("postgres"), embeddedPort);
      server.start();
      return open(server);
    }
    Database db = new Database(JdbcTarget.parse(url), null);
    db.tryMigrate();
    return db;
  }

  /** Opens a pool on an already started embedded server; {@link #close()} stops the server. */
  public static Database open(EmbeddedPostgresServer server) {
    Database db = new Database(server.target(), server);
    db.tryMigrate();
    return db;
  }

  /** Runs {@code work} on a pooled connection, translating failures. */
  public <T> T withConnection(String what, SqlWork<T> work) {
    if (fence != Fence.NONE) {
      return inFencedTransaction(what, work);
    }
    ensureMigrated();
    try (Connection c = pool.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw SqlErrors.translate(what, e);
    }
  }

  /**
   * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws.
   */
  public <T> T inTransaction(String what, SqlWork<T> work) {
    return fence != Fence.NONE ? inFencedTransaction(what, work) : transaction(what, work);
  }

  private <T> T inFencedTransaction(String what, SqlWork<T> work) {
    return base.transaction(
        what,
        c -> {
          fence.check(c);
          return work.run(c);
        });
  }

  private <T> T transaction(String what, SqlWork<T> work) {
    return withConnection(
        what,
        c -> {
          c.setAutoCommit(false);
          try {
            T result = work.run(c);
            c.commit();
            return result;
          } catch (SQLException | RuntimeException e) {
            rollbackQuietly(c);
            throw e;
          } finally {
            c.setAutoCommit(true);
          }
        });
  }

  /** Whether a trivial query succeeds now (within the connection timeout). */
  public boolean isAvailable() {
    try (Connection c = pool.getConnection()) {
      return c.isValid(1);
    } catch (SQLException e) {
      return false;
    }
  }

  /** Applies pending migrations; throws {@link DatabaseUnavailableException} when unreachable. */
  public synchronized void migrate() {
    if (migrated) {
      return;
    }
    try {
      var result =
          Flyway.configure().dataSource(pool).locations("classpath:db/migration").load().migrate();
      log.info(
          "database schema at version {} ({} migration(s) applied)",
          result.targetSchemaVersion,
          result.migrationsExecuted);
      migrated = true;
    } catch (FlywayException e) {
      if (causedByConnectionFailure(e) || !isAvailable()) {
        throw new DatabaseUnavailableException(
            "migrating " + JdbcTarget.redact(target.jdbcUrl()) + ": database unavailable", e);
      }
      throw new DatabaseException("migrating the database failed: " + e.getMessage(), e);
    }
  }

  public DataSource dataSource() {
    return pool;
  }

  /** Connection target, for dedicated (non-pooled) connections such as LISTEN. */
  public JdbcTarget target() {
    return target;
  }

  /** The embedded server, when this database runs on one. */
  public Optional<EmbeddedPostgresServer> embedded() {
    return Optional.ofNullable(embedded);
  }

  @Override
  public void close() {
    if (base != null) {
      return; // a view: its base owns the pool
    }
    pool.close();
    if (embedded != null) {
      embedded.stop();
    }
  }

  private void ensureMigrated() {
    if (!migrated) {
      migrate();
    }
  }

  private void tryMigrate() {
    try {
      migrate();
    } catch (DatabaseUnavailableException e) {
      log.warn("{}; will migrate when it is reachable", e.getMessage());
    }
  }

  private static boolean causedByConnectionFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && SqlErrors.isConnectionFailure(s)) {
        return true;
      }
    }
    return false;
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // The connection is likely broken; the pool discards it, and the original error matters.
    }
  }

  private static HikariConfig poolConfig(JdbcTarget target) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("switchboard-db");
    config.setJdbcUrl(target.jdbcUrl());
    if (target.user() != null) {
      config.setUsername(target.user());
    }
    if (target.password() != null) {
      config.setPassword(target.password());
    }
    // Reconcilers, the recorder and the CLI API share it; writes are small and short.
    config.setMaximumPoolSize(4);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(CONNECTION_TIMEOUT_MS);
    config.setValidationTimeout(1_000);
    // Start even when the database is down: routing and probing must not depend on it.
    config.setInitializationFailTimeout(-1);
    config.addDataSourceProperty("connectTimeout", "2");
    config.addDataSourceProperty("loginTimeout", "2");
    // A half-open TCP connection (database host gone) must not block a caller forever.
    config.addDataSourceProperty("socketTimeout", "30");
    config.addDataSourceProperty("tcpKeepAlive", "true");
    config.addDataSourceProperty("ApplicationName", "switchboard");
    return config;
  }

  /** JDBC work run on a connection. */
  @FunctionalInterface
  public interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
  }
}
