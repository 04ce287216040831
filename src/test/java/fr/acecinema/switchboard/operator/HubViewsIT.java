package fr.acecinema.switchboard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.BackendStatus;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.HubView;
import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.testing.Fleet;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two hubs' views of one backend, exchanged through a real PostgreSQL. */
class HubViewsIT {
  @TempDir static Path dataDir;
  static Database db;

  private final List<ResourceKey> enqueuedOnA = new CopyOnWriteArrayList<>();
  private HubViews a;
  private HubViews b;

  @BeforeAll
  static void open() {
    db = Database.open(null, dataDir);
    db.migrate();
  }

  @AfterAll
  static void close() {
    db.close();
  }

  @BeforeEach
  void hubs() {
    db.withConnection(
        "clear", c -> c.createStatement().executeUpdate("DELETE FROM hub_views; DELETE FROM hubs"));
    a =
        new HubViews(
            "hub-a",
            () -> Optional.of(db),
            enqueuedOnA::add,
            Duration.ofSeconds(1),
            Duration.ofSeconds(10));
    b =
        new HubViews(
            "hub-b", () -> Optional.of(db), k -> {}, Duration.ofSeconds(1), Duration.ofSeconds(10));
  }

  private static Backend backend(String ready, String reason) {
    Backend x = Fleet.backend("api-dijon", "api", "dijon", "10.200.0.5", 8080);
    x.setStatus(new BackendStatus());
    x.getStatus()
        .setCondition(
            new Condition("Ready", ready, reason, ""), 1, Instant.parse("2026-12-02T10:00:00Z"));
    return x;
  }

  private static final ResourceKey KEY = new ResourceKey("Backend", "api-dijon");

  @Test
  void eachHubSeesTheOthersViewBesideItsOwnAndAChangeEnqueuesTheResource() {
    a.onChange(KEY, null, backend("True", "Serving"));
    b.onChange(KEY, null, backend("False", "HostUnreachable"));
    b.round();
    a.round();

    Condition own = new Condition("Ready", "True", "Serving", "");
    assertThat(a.views("Backend", "api-dijon", own))
        .extracting(HubView::toString)
        .containsExactly("hub-a=True/Serving", "hub-b=False/HostUnreachable");
    assertThat(enqueuedOnA).containsExactly(KEY);

    // hub-b sees it serving again: hub-a learns it at its next round, and only then.
    b.onChange(KEY, backend("False", "HostUnreachable"), backend("True", "Serving"));
    b.round();
    a.round();
    assertThat(a.views("Backend", "api-dijon", own))
        .extracting(HubView::toString)
        .containsExactly("hub-a=True/Serving", "hub-b=True/Serving");
    assertThat(enqueuedOnA).containsExactly(KEY, KEY);
    a.round();
    assertThat(enqueuedOnA).as("nothing changed: nothing enqueued").hasSize(2);
  }

  @Test
  void aHubNotHeardForAWhileShowsUnknownAndTheResourceGoneTakesItsViewsAway() {
    b.onChange(KEY, null, backend("True", "Serving"));
    b.round();
    db.withConnection(
        "silence hub-b",
        c ->
            c.createStatement()
                .executeUpdate("UPDATE hubs SET seen_at = now() - interval '1 minute'"));
    a.round();
    assertThat(a.views("Backend", "api-dijon", null))
        .extracting(HubView::toString)
        .containsExactly("hub-a=Unknown/null", "hub-b=Unknown/HubSilent");

    b.onChange(KEY, backend("True", "Serving"), null);
    b.round();
    a.round();
    assertThat(a.views("Backend", "api-dijon", null))
        .extracting(v -> v.hub)
        .containsExactly("hub-a");
  }
}
