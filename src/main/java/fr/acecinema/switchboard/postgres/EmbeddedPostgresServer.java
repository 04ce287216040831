package fr.acecinema.switchboard.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in PostgreSQL used when no external database is configured: zonky's bundled binaries
 * (PostgreSQL 17), a data directory kept across restarts, listening on 127.0.0.1 only.
 *
 * <p>The port is chosen once (or given) and kept for the life of this object, so a pool built on
 * {@link #jdbcUrl()} keeps working across {@link #stop()} and {@link #start()}.
 *
 * <p>Authentication is zonky's {@code trust}: any local user of the machine can connect as {@code
 * postgres}. That is acceptable for a single-purpose host; shared hosts should use an external
 * database.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
  /** Superuser created by zonky's initdb. */
  public static final String USER = "postgres";

  /** Database created on first start and used by Switchboard. */
  public static final String DATABASE = "switchboard";

  private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

  private final Path dataDirectory;
  private final int port;
  private EmbeddedPostgres postgres;
  private Duration lastStartDuration = Duration.ZERO;

  /**
   * @param dataDirectory PostgreSQL's data directory (PGDATA); created and initialised when absent,
   *     reused as is when it already holds a cluster
   * @param port TCP port on 127.0.0.1; 0 picks a free one now and keeps it
   */
  public EmbeddedPostgresServer(Path dataDirectory, int port) {
    this.dataDirectory = dataDirectory.toAbsolutePath();
    this.port = port == 0 ? freeLoopbackPort() : port;
  }

  /** Starts the server (initdb on first use) and creates the Switchboard database if missing. */
  public synchronized void start() {
    if (postgres != null) {
      return;
    }
    long t0 = System.nanoTime();
    try {
      Files.createDirectories(dataDirectory);
      stopOrphanedServer();
      postgres =
          EmbeddedPostgres.builder()
              .setDataDirectory(dataDirectory)
              .setCleanDataDirectory(false)
              .setPort(port)
              .setServerConfig("listen_addresses", "127.0.0.1")
              // No Unix socket: /tmp sockets collide between instances and are not needed.
              .setServerConfig("unix_socket_directories", "")
              .setServerConfig("max_connections", "50")
              // Records are history, not money: a crash may lose the last few hundred ms.
              .setServerConfig("synchronous_commit", "off")
              .setPGStartupWait(Duration.ofSeconds(60))
              .start();
      ensureDatabase();
    } catch (IOException e) {
      postgres = null;
      throw new UncheckedIOException(
          "cannot start embedded PostgreSQL in " + dataDirectory + ": " + e.getMessage(), e);
    }
    lastStartDuration = Duration.ofNanos(System.nanoTime() - t0);
    log.info(
        "embedded PostgreSQL up on 127.0.0.1:{} (data {}) in {} ms",
        port,
        dataDirectory,
        lastStartDuration.toMillis());
  }

  /** Stops the server (fast shutdown: open connections are closed); the data directory stays. */
  public synchronized void stop() {
    if (postgres == null) {
      return;
    }
    try {
      postgres.close();
    } catch (IOException e) {
      log.warn("stopping embedded PostgreSQL: {}", e.getMessage());
    } finally {
      postgres = null;
    }
  }

  public synchronized boolean isRunning() {
    return postgres != null;
  }

  public int port() {
    return port;
  }

  public Path dataDirectory() {
    return dataDirectory;
  }

  /** How long the last {@link #start()} took, initdb included when it ran. */
  public synchronized Duration lastStartDuration() {
    return lastStartDuration;
  }

  /** Connection target for the Switchboard database. */
  public JdbcTarget target() {
    return new JdbcTarget(jdbcUrl(), USER, null);
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
  }

  @Override
  public void close() {
    stop();
  }

  private void ensureDatabase() throws IOException {
    String url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    try (Connection c = DriverManager.getConnection(url, USER, "");
        PreparedStatement q = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      q.setString(1, DATABASE);
      try (ResultSet rs = q.executeQuery()) {
        if (rs.next()) {
          return;
        }
      }
      try (Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + DATABASE);
      }
    } catch (SQLException e) {
      throw new IOException("cannot create database " + DATABASE + ": " + e.getMessage(), e);
    }
  }

  /**
   * A Switchboard that died without stopping its server (kill -9, OOM) leaves the postmaster
   * running on this data directory, and a new one cannot start beside it. Its clients died with
   * that process, so a smart shutdown (SIGTERM) ends it promptly.
   */
  private void stopOrphanedServer() throws IOException {
    Path pidFile = dataDirectory.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
    } catch (RuntimeException e) {
      return; // Unreadable: PostgreSQL itself judges and reports a broken pid file.
    }
    ProcessHandle orphan = ProcessHandle.of(pid).orElse(null);
    if (orphan == null
        || !orphan.isAlive()
        || !orphan.info().command().orElse("").endsWith("/postgres")) {
      return; // Stale file, or the pid now belongs to another program: PostgreSQL handles it.
    }
    log.warn(
        "stopping PostgreSQL (pid {}) left running on {} by a previous process",
        pid,
        dataDirectory);
    orphan.destroy();
    try {
      orphan.onExit().get(30, TimeUnit.SECONDS);
    } catch (TimeoutException | ExecutionException e) {
      throw new IOException(
          "PostgreSQL pid "
              + pid
              + " still runs on "
              + dataDirectory
              + " after SIGTERM; stop it (kill -INT "
              + pid
              + ") and start again",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while stopping PostgreSQL pid " + pid, e);
    }
  }

  private static int freeLoopbackPort() {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on 127.0.0.1", e);
    }
  }
}
