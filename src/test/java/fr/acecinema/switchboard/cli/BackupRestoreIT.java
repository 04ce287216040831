package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.postgres.ConfigRevision;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.DeploymentRevision;
import fr.acecinema.switchboard.postgres.EmbeddedPostgresServer;
import fr.acecinema.switchboard.postgres.EventType;
import fr.acecinema.switchboard.postgres.HealthTransition;
import fr.acecinema.switchboard.postgres.Migrations;
import fr.acecinema.switchboard.postgres.ProbeMinute;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import fr.acecinema.switchboard.postgres.ResourceTable;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

/**
 * {@code sbctl backup} / {@code sbctl restore} round trips on real PostgreSQL servers: from the
 * embedded database of a stopped hub to an external database, every row of every table comes back
 * the same, ids keep counting after the restored ones, and what would lose data is refused.
 */
class BackupRestoreIT {
  @TempDir Path hub;
  @TempDir Path other;
  @TempDir Path files;

  private static InProcessSbctl.Result run(Map<String, String> env, String... args) {
    return InProcessSbctl.run(env, args);
  }

  @Test
  void aStoppedHubsEmbeddedRecordsRestoreIntoAnExternalDatabaseRowForRow() throws Exception {
    Map<String, String> before;
    try (Database db = Database.open(null, hub)) {
      fill(db);
      before = dump(db);
    }
    Path backup = files.resolve("records.sbbackup");
    Map<String, String> hubEnv = Map.of("SWITCHBOARD_DATA_DIR", hub.toString());

    var b = run(hubEnv, "backup", "-o", backup.toString());
    assertThat(b.code()).as(b.err()).isZero();
    assertThat(b.out()).contains("backup written to", "schema version " + Migrations.latest());
    assertThat(Files.list(files).map(p -> p.getFileName().toString()))
        .as("no partial file left beside the backup")
        .containsExactly("records.sbbackup");

    try (EmbeddedPostgresServer external = new EmbeddedPostgresServer(other, 0)) {
      external.start();
      String url = external.jdbcUrl() + "?user=" + EmbeddedPostgresServer.USER;
      Map<String, String> externalEnv =
          Map.of(
              "SWITCHBOARD_DATA_DIR",
              files.resolve("var").toString(),
              "SWITCHBOARD_DATABASE_URL",
              url);
      var r = run(externalEnv, "restore", backup.toString());
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.out()).contains("restored", "schema version " + Migrations.latest());

      try (Database db = Database.open(url, files.resolve("var"))) {
        assertThat(dump(db)).isEqualTo(before);
        // The id sequences moved past the restored rows: new records do not collide.
        new RecordsRepository(db)
            .recordEvent("Site", "dijon", EventType.NORMAL, "SiteUp", "after the restore");
        assertThat(new RecordsRepository(db).events("Site", "dijon", 10)).hasSize(2);
      }

      var again = run(externalEnv, "restore", backup.toString());
      assertThat(again.code()).isEqualTo(1);
      assertThat(again.err()).contains("holds", "rows", "--replace");
      var replaced = run(externalEnv, "restore", "--replace", backup.toString());
      assertThat(replaced.code()).as(replaced.err()).isZero();
      try (Database db = Database.open(url, files.resolve("var"))) {
        assertThat(dump(db)).isEqualTo(before);
      }
    }
  }

  @Test
  void whatIsNotABackupOrIsFromANewerSchemaIsRefusedAndChangesNothing() throws Exception {
    Map<String, String> before;
    try (Database db = Database.open(null, hub)) {
      fill(db);
      before = dump(db);
    }
    Map<String, String> env = Map.of("SWITCHBOARD_DATA_DIR", hub.toString());
    Path backup = files.resolve("records.sbbackup");
    assertThat(run(env, "backup", "-o", backup.toString()).code()).isZero();

    Path text = Files.writeString(files.resolve("notes.txt"), "not a backup\n");
    var notZip = run(env, "restore", "--replace", text.toString());
    assertThat(notZip.code()).isEqualTo(1);
    assertThat(notZip.err()).contains("notes.txt is not a Switchboard backup");

    Path newer = files.resolve("newer.sbbackup");
    rewriteHeader(
        backup,
        newer,
        "\"schemaVersion\" : \"" + Migrations.latest() + "\"",
        "\"schemaVersion\" : \"99\"");
    var future = run(env, "restore", "--replace", newer.toString());
    assertThat(future.code()).isEqualTo(1);
    assertThat(future.err())
        .contains("schema version 99, newer than this build's " + Migrations.latest());

    try (Database db = Database.open(null, hub)) {
      assertThat(dump(db)).isEqualTo(before);
    }
  }

  private static void fill(Database db) {
    RecordsRepository records = new RecordsRepository(db);
    ObjectMapper json = new ObjectMapper();
    records.upsertInventory(
        "Backend",
        "api-dijon",
        "file:fleet.yaml",
        json.createObjectNode().put("port", 8080),
        json.createObjectNode().put("observedGeneration", 3),
        3);
    records.appendHealthTransition(
        new HealthTransition(
            "api-dijon",
            "Healthy",
            "Unhealthy",
            "ProbeFailed",
            "tab\there, quote ' and \\ backslash, line\nbreak, café",
            12,
            Instant.parse("2026-03-01T11:58:00Z")));
    records.recordRevision(
        "3f2a9c0d11aa22bb",
        json.createObjectNode().put("apps", 1),
        ConfigRevision.Result.APPLIED,
        null);
    records.recordEvent("Site", "dijon", EventType.WARNING, "SiteDown", "all backends down");
    records.recordProbeMinute(
        new ProbeMinute(
            "api-dijon",
            Instant.parse("2026-03-01T11:58:00Z"),
            60,
            2,
            600,
            40,
            new int[] {50, 8, 2, 0, 0, 0, 0, 0, 0, 0}));
    records.upsertDeploymentRevision(
        new DeploymentRevision(
            "api",
            1,
            "c3f1",
            "local/api:1",
            8080,
            Map.of("GREETING", "tab\there, quote ' and café"),
            Map.of("CRON", "on"),
            DeploymentRevision.State.COMPLETE,
            Instant.parse("2026-03-01T11:00:00Z"),
            Instant.parse("2026-03-01T11:01:00Z")));
    new ResourceTable(db)
        .upsert(
            "Service",
            "web",
            json.createObjectNode().set("hosts", json.createArrayNode().add("web.example")),
            json.createObjectNode());
  }

  /** Every table's rows as PostgreSQL's COPY text, ordered, by table. */
  private static Map<String, String> dump(Database db) {
    return db.withConnection(
        "dump",
        c -> {
          Map<String, String> tables = new TreeMap<>();
          List<String> names = new java.util.ArrayList<>();
          try (var r =
              c.createStatement()
                  .executeQuery(
                      "SELECT table_name FROM information_schema.tables WHERE table_schema ="
                          + " current_schema() AND table_name <> 'flyway_schema_history'")) {
            while (r.next()) {
              names.add(r.getString(1));
            }
          }
          // The hubs' coordination (leases, views) is state of running hubs, not backed up.
          names.removeAll(fr.acecinema.switchboard.postgres.RecordsArchive.COORDINATION);
          for (String t : names) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
              c.unwrap(PGConnection.class)
                  .getCopyAPI()
                  .copyOut("COPY (SELECT * FROM " + t + " ORDER BY 1, 2) TO STDOUT", out);
            } catch (java.io.IOException e) {
              throw new SQLException(e);
            }
            tables.put(t, out.toString(StandardCharsets.UTF_8));
          }
          assertThat(tables.values()).as("every table holds a row").allMatch(s -> !s.isEmpty());
          return tables;
        });
  }

  private static void rewriteHeader(Path from, Path to, String find, String replace)
      throws Exception {
    Map<String, byte[]> entries = new HashMap<>();
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(from))) {
      for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        entries.put(e.getName(), in.readAllBytes());
      }
    }
    String header = new String(entries.get("backup.json"), StandardCharsets.UTF_8);
    assertThat(header).contains(find);
    entries.put("backup.json", header.replace(find, replace).getBytes(StandardCharsets.UTF_8));
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(to))) {
      for (var e : entries.entrySet()) {
        out.putNextEntry(new ZipEntry(e.getKey()));
        out.write(e.getValue());
        out.closeEntry();
      }
    }
  }
}
