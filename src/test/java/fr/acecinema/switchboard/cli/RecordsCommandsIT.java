package fr.acecinema.switchboard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.postgres.ConfigRevision;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.EventType;
import fr.acecinema.switchboard.postgres.HealthTransition;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import fr.acecinema.switchboard.postgres.ResourceTable;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The record commands against a real PostgreSQL found the way sbctl finds a running operator's:
 * through {@code DATA_DIR/postgres.port}.
 */
class RecordsCommandsIT {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  @TempDir static Path dataDir;
  @TempDir static Path manifests;
  static Database db;
  static RecordsRepository records;

  @BeforeAll
  static void database() throws Exception {
    db = Database.open(null, dataDir);
    Files.writeString(dataDir.resolve("postgres.port"), db.embedded().orElseThrow().port() + "\n");
    records = new RecordsRepository(db);
    records.appendHealthTransition(
        new HealthTransition(
            "api-dijon",
            null,
            "Healthy",
            "ProbeSucceeded",
            "ok",
            3,
            Instant.parse("2026-03-01T11:00:00Z")));
    records.appendHealthTransition(
        new HealthTransition(
            "api-dijon",
            "Healthy",
            "Unhealthy",
            "ProbeFailed",
            "HTTP 503, expected 200-399",
            12,
            Instant.parse("2026-03-01T11:58:00Z")));
    records.recordRevision(
        "3f2a9c0d11aa22bb",
        new ObjectMapper().createObjectNode().put("apps", 1),
        ConfigRevision.Result.APPLIED,
        null);
    records.recordEvent("Backend", "api-dijon", EventType.WARNING, "BackendDown", "down");
    records.recordEvent("Backend", "api-dijon", EventType.WARNING, "BackendDown", "down");
    Files.writeString(
        manifests.resolve("dijon.yaml"),
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata:
          name: api-dijon
        spec:
          service: api
          site: dijon
          address: 127.0.20.2
          port: 8080
        """);
  }

  @AfterAll
  static void close() {
    db.close();
  }

  record Run(int code, String out, String err) {}

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl =
        Sbctl.commandLine(
            new Sbctl(Optional.of(new LocalWiring()), Clock.fixed(NOW, ZoneOffset.UTC)),
            Map.of(
                    "SWITCHBOARD_DATA_DIR", dataDir.toString(),
                    "SWITCHBOARD_MANIFESTS", manifests.toString())
                ::get);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void historyListsABackendsTransitionsOldestFirstWithReasonsAndLatency() {
    Run r = run("history", "backend/api-dijon");
    assertThat(r.code()).as(r.err()).isZero();
    String[] lines = r.out().split("\n");
    assertThat(lines[0]).startsWith("TIME").contains("FROM", "TO", "REASON", "LATENCY");
    assertThat(lines[1]).contains("2026-03-01T11:00:00Z", "Healthy", "ProbeSucceeded", "3ms");
    assertThat(lines[2]).contains("2m", "Healthy", "Unhealthy", "ProbeFailed", "HTTP 503");
  }

  @Test
  void historyOfAnotherKindIsAUsageError() {
    Run r = run("history", "site/dijon");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("backends only");
  }

  @Test
  void revisionsShowHashAndResult() {
    Run r = run("revisions");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("3f2a9c0d11aa", "APPLIED");
  }

  @Test
  void eventsAreCountedNotRepeatedAndDescribeShowsThem() {
    Run r = run("events", "backend/api-dijon");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("Warning", "BackendDown", "backend/api-dijon");
    assertThat(r.out().lines().count()).isEqualTo(2);
    assertThat(r.out().lines().skip(1).findFirst().orElseThrow()).contains(" 2 ");

    Run d = run("describe", "backend/api-dijon");
    assertThat(d.code()).as(d.err()).isZero();
    assertThat(d.out()).contains("Events:").contains("BackendDown").contains("(x2 over");
  }

  @Test
  void describeStillWorksWhenNoDatabaseIsFound() {
    StringWriter out = new StringWriter();
    var cl =
        Sbctl.commandLine(
            new Sbctl(Optional.of(new LocalWiring()), Clock.fixed(NOW, ZoneOffset.UTC)),
            Map.of(
                    "SWITCHBOARD_DATA_DIR", dataDir.resolve("elsewhere").toString(),
                    "SWITCHBOARD_MANIFESTS", manifests.toString())
                ::get);
    cl.setOut(new PrintWriter(out, true));
    assertThat(cl.execute("describe", "backend/api-dijon")).isZero();
    assertThat(out.toString()).contains("Events:\n  <unavailable: no running Switchboard database");
  }

  @Test
  void applyToTableWritesRowsAndRejectsInvalidFilesWithoutWritingAnything() throws Exception {
    Path ok = manifests.resolveSibling(manifests.getFileName() + "-apply");
    Files.createDirectories(ok);
    Files.writeString(
        ok.resolve("site.yaml"),
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: metz
          labels:
            region: east
        spec:
          subnet: 127.0.40.0/24
        """);
    Run r = run("apply", "--to", "table", "-f", ok.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("site/metz created (table)");
    ResourceTable table = new ResourceTable(db);
    ResourceTable.Row row = table.get("Site", "metz").orElseThrow();
    assertThat(row.spec().path("subnet").asText()).isEqualTo("127.0.40.0/24");
    assertThat(row.labels().path("region").asText()).isEqualTo("east");
    assertThat(run("apply", "--to", "table", "-f", ok.toString()).out())
        .contains("site/metz unchanged (table)");

    Files.writeString(
        ok.resolve("bad.yaml"),
        """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Site
        metadata:
          name: toul
        spec:
          subnet: 127.0.41.0/33
        """);
    Run bad = run("apply", "--to", "table", "-f", ok.toString());
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err())
        .contains("bad.yaml")
        .contains("spec.subnet")
        .contains("nothing was applied");
    assertThat(table.get("Site", "toul")).isEmpty();
  }
}
