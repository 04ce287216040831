package fr.acecinema.switchboard.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordsRepositoryIT {
  @TempDir static Path dataDir;
  static Database db;
  static RecordsRepository records;

  @BeforeAll
  static void open() {
    db = Database.open(null, dataDir);
    records = new RecordsRepository(db);
  }

  @AfterAll
  static void close() {
    db.close();
  }

  @Test
  void keepsOneLiveInventoryRowAndHistoryOfDeletedLifetimes() {
    records.upsertInventory("Backend", "web-1", "file:a.yaml", spec("url", "http://a"), null, 1);
    Instant firstUpdate = records.inventory("Backend").get(0).updatedAt();
    records.upsertInventory("Backend", "web-1", "file:a.yaml", spec("url", "http://a"), null, 1);
    assertThat(records.inventory("Backend").get(0).updatedAt())
        .as("an identical upsert changes nothing")
        .isEqualTo(firstUpdate);

    records.upsertInventory(
        "Backend", "web-1", "file:a.yaml", spec("url", "http://b"), spec("phase", "Ready"), 2);
    List<InventoryRecord> live = records.inventory("Backend");
    assertThat(live).hasSize(1);
    assertThat(live.get(0).spec().get("url").asText()).isEqualTo("http://b");
    assertThat(live.get(0).status().get("phase").asText()).isEqualTo("Ready");
    assertThat(live.get(0).generation()).isEqualTo(2);

    assertThat(records.markDeleted("Backend", "web-1")).isTrue();
    assertThat(records.markDeleted("Backend", "web-1")).isFalse();
    assertThat(records.inventory("Backend")).isEmpty();

    records.upsertInventory("Backend", "web-1", "table", spec("url", "http://c"), null, 1);
    List<InventoryRecord> history = records.inventoryHistory("Backend", "web-1");
    assertThat(history).hasSize(2);
    assertThat(history.get(0).deletedAt()).isNotNull();
    assertThat(history.get(0).spec().get("url").asText()).isEqualTo("http://b");
    assertThat(history.get(1).deletedAt()).isNull();
    assertThat(history.get(1).source()).isEqualTo("table");
  }

  @Test
  void countsIdenticalEventsInsteadOfRepeatingThem() {
    assertThat(records.recordEvent("Backend", "ev", EventType.WARNING, "ProbeFailed", "timeout"))
        .isEqualTo(1);
    assertThat(records.recordEvent("Backend", "ev", EventType.WARNING, "ProbeFailed", "timeout"))
        .isEqualTo(2);
    assertThat(records.recordEvent("Backend", "ev", EventType.WARNING, "ProbeFailed", "timeout"))
        .isEqualTo(3);
    assertThat(records.recordEvent("Backend", "ev", EventType.WARNING, "ProbeFailed", "refused"))
        .isEqualTo(1);
    assertThat(records.recordEvent("Backend", "ev", EventType.NORMAL, "ProbeFailed", "timeout"))
        .isEqualTo(1);
    assertThat(records.recordEvent("Backend", "other", EventType.WARNING, "ProbeFailed", "timeout"))
        .isEqualTo(1);

    List<EventRecord> events = records.events("Backend", "ev", 10);
    assertThat(events).hasSize(3);
    EventRecord timeout =
        events.stream()
            .filter(e -> e.message().equals("timeout") && e.type() == EventType.WARNING)
            .findFirst()
            .orElseThrow();
    assertThat(timeout.count()).isEqualTo(3);
    assertThat(timeout.lastSeen()).isAfterOrEqualTo(timeout.firstSeen());
    assertThat(records.events("Backend", null, 10)).hasSize(4);
    assertThat(records.events(null, null, 2)).hasSize(2);
  }

  @Test
  void returnsHealthHistoryNewestFirstWithinTheLimit() {
    Instant t = Instant.parse("2025-01-01T00:00:00Z");
    records.appendHealthTransition(
        new HealthTransition("hb", null, "Healthy", "ProbeSucceeded", null, 12, t));
    records.appendHealthTransition(
        new HealthTransition(
            "hb", "Healthy", "Unhealthy", "ProbeFailed", "timeout", null, t.plusSeconds(60)));
    records.appendHealthTransition(
        new HealthTransition(
            "hb", "Unhealthy", "Healthy", "ProbeSucceeded", null, 8, t.plusSeconds(120)));
    records.appendHealthTransition(
        new HealthTransition("other", null, "Healthy", "ProbeSucceeded", null, 1, t));

    List<HealthTransition> h = records.healthHistory("hb", 2);
    assertThat(h).extracting(HealthTransition::toState).containsExactly("Healthy", "Unhealthy");
    assertThat(h.get(1).latencyMs()).isNull();
    assertThat(h.get(1).message()).isEqualTo("timeout");
    assertThat(h.get(0).at()).isEqualTo(t.plusSeconds(120));
  }

  @Test
  void mergesProbeMinutesFlushedMoreThanOnce() {
    Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
    ProbeMinute first = ProbeMinute.empty("pm", minute).plus(true, 3).plus(true, 40);
    ProbeMinute second = ProbeMinute.empty("pm", minute.plusSeconds(30)).plus(false, 0);
    ProbeMinute next = ProbeMinute.empty("pm", minute.plusSeconds(60)).plus(true, 3000);
    records.recordProbeMinutes(List.of(first, next));
    records.recordProbeMinute(second);

    List<ProbeMinute> stored = records.probeMinutes("pm", minute, minute.plusSeconds(120));
    assertThat(stored).hasSize(2);
    ProbeMinute merged = stored.get(0);
    assertThat(merged.probes()).isEqualTo(3);
    assertThat(merged.failures()).isEqualTo(1);
    assertThat(merged.latencySumMs()).isEqualTo(43);
    assertThat(merged.latencyMaxMs()).isEqualTo(40);
    assertThat(merged.latencyBuckets()).containsExactly(1, 0, 0, 1, 0, 0, 0, 0, 0, 0);
    assertThat(stored.get(1).latencyBuckets()).containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
  }

  @Test
  void prunesProbeMinutesOlderThanTheRetention() {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MINUTES);
    records.recordProbeMinutes(
        List.of(
            ProbeMinute.empty("old", now.minus(Duration.ofDays(20))).plus(true, 1),
            ProbeMinute.empty("old", now.minus(Duration.ofDays(1))).plus(true, 1)));
    assertThat(records.pruneProbeMinutes(Duration.ofDays(14))).isEqualTo(1);
    assertThat(records.probeMinutes("old", now.minus(Duration.ofDays(30)), now.plusSeconds(60)))
        .hasSize(1);
  }

  @Test
  void keepsRevisionsNewestFirst() {
    ObjectNode content = Json.MAPPER.createObjectNode();
    content.putObject("apps").putObject("http");
    long a = records.recordRevision("rev-a", content, ConfigRevision.Result.APPLIED, null);
    long b = records.recordRevision("rev-b", content, ConfigRevision.Result.FAILED, "bad upstream");
    assertThat(b).isGreaterThan(a);
    List<ConfigRevision> revs = records.revisions(2);
    assertThat(revs).extracting(ConfigRevision::hash).containsExactly("rev-b", "rev-a");
    assertThat(revs.get(0).error()).isEqualTo("bad upstream");
    assertThat(revs.get(0).result()).isEqualTo(ConfigRevision.Result.FAILED);
    assertThat(revs.get(1).content()).isEqualTo(content);
  }

  /** Not an assertion on speed: prints what one backend costs per day, for docs/postgres.md. */
  @Test
  void measuresProbeMinuteStoragePerBackendDay() {
    String backend = "backend-size-probe.example";
    Instant day = Instant.parse("2024-06-01T00:00:00Z");
    List<ProbeMinute> minutes = new ArrayList<>();
    for (int i = 0; i < 1440; i++) {
      ProbeMinute m = ProbeMinute.empty(backend, day.plusSeconds(60L * i));
      for (int p = 0; p < 12; p++) {
        m = m.plus(p != 0 || i % 7 != 0, 5 + (i * 31 + p * 17) % 400);
      }
      minutes.add(m);
    }
    try {
      records.recordProbeMinutes(minutes);
      assertThat(records.probeMinutes(backend, day, day.plusSeconds(86_400))).hasSize(1440);
      String sizes =
          db.withConnection(
              "size",
              c -> {
                try (Statement s = c.createStatement()) {
                  s.execute("VACUUM ANALYZE probe_minutes");
                  try (ResultSet rs =
                      s.executeQuery(
                          "SELECT count(*), pg_table_size('probe_minutes'),"
                              + " pg_indexes_size('probe_minutes') FROM probe_minutes")) {
                    rs.next();
                    return String.format(
                        "%d rows: table %d KiB, indexes %d KiB, %.0f bytes/row",
                        rs.getLong(1),
                        rs.getLong(2) / 1024,
                        rs.getLong(3) / 1024,
                        (rs.getLong(2) + rs.getLong(3)) / (double) rs.getLong(1));
                  }
                }
              });
      System.out.println("probe_minutes after one backend-day (1440 minutes): " + sizes);
    } finally {
      db.withConnection(
          "cleanup",
          c -> {
            try (Statement s = c.createStatement()) {
              return s.executeUpdate("DELETE FROM probe_minutes WHERE backend = '" + backend + "'");
            }
          });
    }
  }

  @Test
  void keepsEveryDeploymentRevisionWithItsTemplateAndTheStateItsRolloutEndedIn() {
    Instant t0 = Instant.parse("2026-05-01T10:00:00Z");
    DeploymentRevision r1 =
        new DeploymentRevision(
            "hist",
            1,
            "h1",
            "local/api:1",
            8080,
            Map.of("LOG", "info"),
            Map.of("CRON", "on"),
            DeploymentRevision.State.ROLLING_OUT,
            t0,
            t0);
    records.upsertDeploymentRevision(r1);
    records.upsertDeploymentRevision(
        r1.withState(DeploymentRevision.State.COMPLETE, t0.plusSeconds(30)));
    // A restarted operator that sees revision 1 again as rolling out must not undo its outcome.
    records.upsertDeploymentRevision(r1.withState(DeploymentRevision.State.ROLLING_OUT, t0));
    DeploymentRevision r2 = rollingOut("hist", 2, "h2", "local/api:2", t0.plusSeconds(60));
    records.upsertDeploymentRevision(r2);
    records.upsertDeploymentRevision(
        r2.withState(DeploymentRevision.State.ROLLED_BACK, t0.plusSeconds(180)));
    records.upsertDeploymentRevision(rollingOut("other", 1, "x", "local/other:1", t0));

    List<DeploymentRevision> history = records.deploymentRevisions("hist", 10);

    assertThat(history)
        .containsExactly(
            r2.withState(DeploymentRevision.State.ROLLED_BACK, t0.plusSeconds(180)),
            r1.withState(DeploymentRevision.State.COMPLETE, t0.plusSeconds(30)));
    assertThat(history.get(1).env()).containsEntry("LOG", "info");
    assertThat(history.get(1).primaryEnv()).containsEntry("CRON", "on");
    assertThat(records.deploymentRevisions("hist", 1))
        .extracting(DeploymentRevision::revision)
        .containsExactly(2);
  }

  @Test
  void aDeploymentDeclaredAgainUnderItsNameStartsItsRevisionsOver() {
    Instant t0 = Instant.parse("2026-05-01T10:00:00Z");
    records.upsertDeploymentRevision(
        rollingOut("again", 1, "old", "local/api:1", t0)
            .withState(DeploymentRevision.State.COMPLETE, t0.plusSeconds(30)));
    DeploymentRevision fresh = rollingOut("again", 1, "new", "local/api:9", t0.plusSeconds(3600));
    records.upsertDeploymentRevision(fresh);

    assertThat(records.deploymentRevisions("again", 10)).containsExactly(fresh);
  }

  private static DeploymentRevision rollingOut(
      String deployment, int revision, String hash, String image, Instant at) {
    return new DeploymentRevision(
        deployment,
        revision,
        hash,
        image,
        9090,
        null,
        null,
        DeploymentRevision.State.ROLLING_OUT,
        at,
        at);
  }

  private static JsonNode spec(String key, String value) {
    return Json.MAPPER.createObjectNode().put(key, value);
  }
}
