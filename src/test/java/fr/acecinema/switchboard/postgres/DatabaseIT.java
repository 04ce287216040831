package fr.acecinema.switchboard.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseIT {
  @TempDir Path dataDir;

  @Test
  void migratesAnEmptyEmbeddedDatabaseAndKeepsDataAcrossRestarts() throws Exception {
    long t0 = System.nanoTime();
    List<String> firstHistory;
    try (Database db = Database.open(null, dataDir)) {
      EmbeddedPostgresServer server = db.embedded().orElseThrow();
      System.out.printf(
          "embedded PostgreSQL first start (initdb + start + create db): %d ms;"
              + " open incl. migrations: %d ms%n",
          server.lastStartDuration().toMillis(), (System.nanoTime() - t0) / 1_000_000);
      assertThat(server.dataDirectory()).isEqualTo(dataDir.resolve("postgres").toAbsolutePath());
      assertThat(Files.exists(server.dataDirectory().resolve("PG_VERSION"))).isTrue();
      assertThat(Files.readString(server.dataDirectory().resolve("PG_VERSION")).strip())
          .isEqualTo("17");
      assertThat(tables(db))
          .contains(
              "resources",
              "inventory",
              "health_transitions",
              "probe_minutes",
              "config_revisions",
              "events");
      firstHistory = migrationHistory(db);
      assertThat(firstHistory).containsExactlyElementsOf(Migrations.appliedHistory());
      new RecordsRepository(db)
          .recordRevision(
              "h1", Json.MAPPER.createObjectNode(), ConfigRevision.Result.APPLIED, null);
    }

    long t1 = System.nanoTime();
    try (Database db = Database.open(null, dataDir)) {
      System.out.printf(
          "embedded PostgreSQL restart on existing data dir: %d ms; open incl. migration check:"
              + " %d ms%n",
          db.embedded().orElseThrow().lastStartDuration().toMillis(),
          (System.nanoTime() - t1) / 1_000_000);
      assertThat(migrationHistory(db)).isEqualTo(firstHistory);
      assertThat(new RecordsRepository(db).revisions(10))
          .extracting(ConfigRevision::hash)
          .containsExactly("h1");
    }
  }

  @Test
  void connectsToAnExternalDatabaseByUrl() {
    try (EmbeddedPostgresServer server =
        new EmbeddedPostgresServer(dataDir.resolve("external"), 0)) {
      server.start();
      String url = "postgresql://postgres@127.0.0.1:" + server.port() + "/switchboard";
      try (Database db = Database.open(url, dataDir.resolve("unused"))) {
        assertThat(db.embedded()).isEmpty();
        assertThat(db.isAvailable()).isTrue();
        assertThat(tables(db)).contains("resources");
        assertThat(Files.exists(dataDir.resolve("unused"))).isFalse();
      }
    }
  }

  @Test
  void opensWhileAnExternalDatabaseIsDownAndMigratesWhenItComesBack() {
    try (EmbeddedPostgresServer server = new EmbeddedPostgresServer(dataDir.resolve("late"), 0)) {
      server.start();
      server.stop();
      String url = "postgresql://postgres@127.0.0.1:" + server.port() + "/switchboard";
      try (Database db = Database.open(url, dataDir)) {
        RecordsRepository records = new RecordsRepository(db);
        assertThatThrownBy(() -> records.revisions(1))
            .isInstanceOf(DatabaseUnavailableException.class);
        server.start();
        await()
            .atMost(Duration.ofSeconds(30))
            .ignoreException(DatabaseUnavailableException.class)
            .until(() -> records.revisions(1).isEmpty());
        assertThat(migrationHistory(db)).containsExactlyElementsOf(Migrations.appliedHistory());
      }
    }
  }

  @Test
  void takesOverADataDirectoryWhosePostmasterOutlivedItsProcess() throws Exception {
    Path pgdata = dataDir.resolve("orphan");
    EmbeddedPostgresServer first = new EmbeddedPostgresServer(pgdata, 0);
    first.start();
    first.stop();
    // What a killed JVM leaves behind: a postmaster still running on the data directory. Started
    // as zonky starts it when root: in a user namespace, since PostgreSQL refuses to run as root.
    Path pgCtl = pgCtl();
    Process p =
        new ProcessBuilder(
                "unshare",
                "-U",
                pgCtl.toString(),
                "-D",
                pgdata.toString(),
                "-o",
                "-p " + first.port() + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=",
                "-w",
                "start")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    long orphanPid = Long.parseLong(Files.readAllLines(pgdata.resolve("postmaster.pid")).get(0));
    try (EmbeddedPostgresServer second = new EmbeddedPostgresServer(pgdata, first.port())) {
      second.start();
      assertThat(ProcessHandle.of(orphanPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
      try (Database db = Database.open(second)) {
        assertThat(db.isAvailable()).isTrue();
      }
    } finally {
      ProcessHandle.of(orphanPid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  /** zonky unpacks its binaries under java.io.tmpdir/embedded-pg; take pg_ctl from there. */
  private static Path pgCtl() throws Exception {
    try (var dirs = Files.list(Path.of(System.getProperty("java.io.tmpdir"), "embedded-pg"))) {
      return dirs.map(d -> d.resolve("bin/pg_ctl"))
          .filter(Files::isExecutable)
          .findFirst()
          .orElseThrow();
    }
  }

  private static List<String> tables(Database db) {
    return db.withConnection(
        "tables",
        c -> {
          List<String> out = new ArrayList<>();
          try (Statement s = c.createStatement();
              ResultSet rs =
                  s.executeQuery(
                      "SELECT table_name FROM information_schema.tables"
                          + " WHERE table_schema = 'public'")) {
            while (rs.next()) {
              out.add(rs.getString(1));
            }
          }
          return out;
        });
  }

  private static List<String> migrationHistory(Database db) {
    return db.withConnection(
        "history",
        c -> {
          List<String> out = new ArrayList<>();
          try (Statement s = c.createStatement();
              ResultSet rs =
                  s.executeQuery(
                      "SELECT version, success FROM flyway_schema_history"
                          + " WHERE version IS NOT NULL ORDER BY installed_rank")) {
            while (rs.next()) {
              out.add(rs.getString(1) + ":" + rs.getBoolean(2));
            }
          }
          return out;
        });
  }
}
