package fr.acecinema.switchboard.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import fr.acecinema.switchboard.postgres.ResourceTable.Notification;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseOutageIT {
  @TempDir static Path dataDir;
  static Database db;
  static EmbeddedPostgresServer server;

  @BeforeAll
  static void open() {
    db = Database.open(null, dataDir);
    server = db.embedded().orElseThrow();
  }

  @AfterAll
  static void close() {
    db.close();
  }

  @Test
  void failsFastWhileTheServerIsDownAndRecoversWithTheSamePool() {
    RecordsRepository records = new RecordsRepository(db);
    ResourceTable table = new ResourceTable(db);
    List<Notification> received = new CopyOnWriteArrayList<>();
    try (ResourceListener listener = table.listen(received::add)) {
      await().atMost(Duration.ofSeconds(10)).until(listener::isConnected);
      records.recordEvent("Backend", "b", EventType.NORMAL, "Up", "before the outage");

      server.stop();
      // Bounded only so that a hang fails the test instead of blocking the build; the figure is
      // printed, not asserted.
      long t0 = System.nanoTime();
      assertTimeoutPreemptively(
          Duration.ofSeconds(15),
          () ->
              assertThatThrownBy(
                      () -> records.recordEvent("Backend", "b", EventType.NORMAL, "Up", "during"))
                  .isInstanceOf(DatabaseUnavailableException.class)
                  .hasMessageContaining("database unavailable"));
      long firstMs = (System.nanoTime() - t0) / 1_000_000;
      long t1 = System.nanoTime();
      assertThatThrownBy(() -> table.list()).isInstanceOf(DatabaseUnavailableException.class);
      long secondMs = (System.nanoTime() - t1) / 1_000_000;
      System.out.printf(
          "with the database down: first call failed after %d ms, next after %d ms%n",
          firstMs, secondMs);
      assertThat(db.isAvailable()).isFalse();
      await().atMost(Duration.ofSeconds(10)).until(() -> !listener.isConnected());

      received.clear();
      long t2 = System.nanoTime();
      server.start();
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreException(DatabaseUnavailableException.class)
          .until(
              () ->
                  records.recordEvent("Backend", "b", EventType.NORMAL, "Up", "before the outage")
                      == 2);
      System.out.printf(
          "restart on the same data dir until the first successful write: %d ms%n",
          (System.nanoTime() - t2) / 1_000_000);

      // The listener reconnects by itself, says so with RESYNC, and then sees changes again.
      await().atMost(Duration.ofSeconds(15)).until(() -> received.contains(Notification.resync()));
      table.upsert("Backend", "after-outage", Json.MAPPER.createObjectNode(), null);
      await()
          .atMost(Duration.ofSeconds(1))
          .until(() -> received.stream().anyMatch(n -> "after-outage".equals(n.name())));
    }
  }
}
