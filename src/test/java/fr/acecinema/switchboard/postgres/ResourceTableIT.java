package fr.acecinema.switchboard.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.postgres.ResourceTable.Notification;
import fr.acecinema.switchboard.postgres.ResourceTable.Row;
import fr.acecinema.switchboard.postgres.ResourceTable.StatusWrite;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResourceTableIT {
  @TempDir static Path dataDir;
  static Database db;
  static ResourceTable table;

  final List<Notification> received = new CopyOnWriteArrayList<>();
  ResourceListener listener;

  @BeforeAll
  static void open() {
    db = Database.open(null, dataDir);
    table = new ResourceTable(db);
  }

  @AfterAll
  static void close() {
    db.close();
  }

  @BeforeEach
  void listen() {
    listener = table.listen(received::add);
    await().atMost(Duration.ofSeconds(10)).until(() -> received.contains(Notification.resync()));
    received.clear();
  }

  @AfterEach
  void stopListening() {
    listener.close();
  }

  @Test
  void bumpsGenerationOnlyWhenSpecOrLabelsChange() {
    Row created = table.upsert("Backend", "gen", spec("http://a"), labels("tier", "web"));
    assertThat(created.generation()).isEqualTo(1);
    assertThat(table.upsert("Backend", "gen", spec("http://a"), labels("tier", "web")).generation())
        .isEqualTo(1);
    assertThat(table.upsert("Backend", "gen", spec("http://b"), labels("tier", "web")).generation())
        .isEqualTo(2);
    assertThat(table.upsert("Backend", "gen", spec("http://b"), labels("tier", "db")).generation())
        .isEqualTo(3);
    assertThat(table.writeStatus("Backend", "gen", 3, status("Ready")))
        .isEqualTo(StatusWrite.WRITTEN);
    Row row = table.get("Backend", "gen").orElseThrow();
    assertThat(row.generation()).isEqualTo(3);
    assertThat(row.status().get("phase").asText()).isEqualTo("Ready");
  }

  @Test
  void bumpsGenerationWhenAnOperatorEditsTheSpecWithSql() {
    table.upsert("Site", "by-hand", Json.MAPPER.createObjectNode(), null);
    db.withConnection(
        "manual update",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE resources SET spec = '{\"x\": 1}' WHERE kind = 'Site' AND name = ?")) {
            ps.setString(1, "by-hand");
            return ps.executeUpdate();
          }
        });
    assertThat(table.get("Site", "by-hand").orElseThrow().generation()).isEqualTo(2);
  }

  @Test
  void notifiesSpecChangesWithinASecond() {
    table.upsert("Service", "notified", spec("http://a"), null);
    await()
        .atMost(Duration.ofSeconds(1))
        .until(
            () ->
                received.contains(
                    new Notification(Notification.Op.UPSERT, "Service", "notified", 1)));
    table.upsert("Service", "notified", spec("http://b"), null);
    await()
        .atMost(Duration.ofSeconds(1))
        .until(
            () ->
                received.contains(
                    new Notification(Notification.Op.UPSERT, "Service", "notified", 2)));
    assertThat(table.delete("Service", "notified")).isTrue();
    await()
        .atMost(Duration.ofSeconds(1))
        .until(
            () ->
                received.contains(
                    new Notification(Notification.Op.DELETE, "Service", "notified", 2)));
    assertThat(table.get("Service", "notified")).isEmpty();
    assertThat(table.list()).extracting(Row::name).doesNotContain("notified");
  }

  @Test
  void doesNotNotifyStatusOnlyWritesNorIdenticalUpserts() {
    table.upsert("Backend", "quiet", spec("http://q"), null);
    await()
        .atMost(Duration.ofSeconds(1))
        .until(() -> received.stream().anyMatch(n -> "quiet".equals(n.name())));
    received.clear();

    assertThat(table.writeStatus("Backend", "quiet", 1, status("Ready")))
        .isEqualTo(StatusWrite.WRITTEN);
    table.upsert("Backend", "quiet", spec("http://q"), null);
    // A marker change after the writes: once its notification arrives, any notification for the
    // status write or the identical upsert would have arrived before it (same channel, in order).
    table.upsert("Backend", "marker", spec("http://m"), null);
    await()
        .atMost(Duration.ofSeconds(1))
        .until(() -> received.stream().anyMatch(n -> "marker".equals(n.name())));
    assertThat(received).extracting(Notification::name).containsExactly("marker");
  }

  @Test
  void notifiesRowsDeletedWithSql() {
    table.upsert("Site", "hard-delete", Json.MAPPER.createObjectNode(), null);
    db.withConnection(
        "hard delete",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM resources WHERE kind = 'Site' AND name = ?")) {
            ps.setString(1, "hard-delete");
            return ps.executeUpdate();
          }
        });
    await()
        .atMost(Duration.ofSeconds(1))
        .until(
            () ->
                received.contains(
                    new Notification(Notification.Op.DELETE, "Site", "hard-delete", 1)));
  }

  @Test
  void reportsStatusWritesAsWrittenUnchangedOrStale() {
    table.upsert("Backend", "stale", spec("http://a"), null);
    assertThat(table.writeStatus("Backend", "stale", 1, status("Ready")))
        .isEqualTo(StatusWrite.WRITTEN);
    assertThat(table.writeStatus("Backend", "stale", 1, status("Ready")))
        .isEqualTo(StatusWrite.UNCHANGED);

    table.upsert("Backend", "stale", spec("http://b"), null);
    assertThat(table.writeStatus("Backend", "stale", 1, status("NotReady")))
        .isEqualTo(StatusWrite.STALE);
    assertThat(table.get("Backend", "stale").orElseThrow().status().get("phase").asText())
        .isEqualTo("Ready");
    assertThat(table.writeStatus("Backend", "stale", 2, status("NotReady")))
        .isEqualTo(StatusWrite.WRITTEN);

    table.delete("Backend", "stale");
    assertThat(table.writeStatus("Backend", "stale", 2, status("Gone")))
        .isEqualTo(StatusWrite.STALE);
  }

  @Test
  void recreatesADeletedRowAsANewLiveRow() {
    Row first = table.upsert("Site", "again", spec("x"), null);
    table.delete("Site", "again");
    Row second = table.upsert("Site", "again", spec("x"), null);
    assertThat(second.id()).isNotEqualTo(first.id());
    assertThat(second.generation()).isEqualTo(1);
    assertThat(table.list()).filteredOn(r -> r.name().equals("again")).hasSize(1);
  }

  @Test
  void rejectsUnknownKindsAndInvalidNamesWithTheRule() {
    assertThatThrownBy(() -> table.upsert("Pod", "x", null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Backend");
    assertThatThrownBy(() -> table.upsert("Site", "Bad_Name", null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lower-case");
  }

  private static JsonNode spec(String url) {
    return Json.MAPPER.createObjectNode().put("url", url);
  }

  private static JsonNode labels(String k, String v) {
    return Json.MAPPER.createObjectNode().put(k, v);
  }

  private static JsonNode status(String phase) {
    return Json.MAPPER.createObjectNode().put("phase", phase);
  }
}
