package fr.acecinema.switchboard.reconciler.records;

import static fr.acecinema.switchboard.testing.Fleet.backend;
import static fr.acecinema.switchboard.testing.Fleet.site;
import static fr.acecinema.switchboard.testing.Fleet.withHealth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.runtime.StandaloneRuntime;
import fr.acecinema.switchboard.runtime.StatusPublisher;
import fr.acecinema.switchboard.testing.MutableClock;
import fr.acecinema.switchboard.testing.ReconcilerHarness;
import fr.acecinema.switchboard.testing.ReconcilerHarness.Cleaned;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The inventory reconciler alone, against an in-memory inventory whose database a test takes down:
 * one write per change, parking and the probing key's backoff during an outage, recovery.
 */
class RecordsReconcilerTest {
  private static final ResourceKey A = new ResourceKey("Backend", "a");
  private static final ObjectMapper MAPPER = Switchboard.mapper();

  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final FakeInventory db = new FakeInventory();
  private final RecordsHealth health = new RecordsHealth(clock, meters);
  private final RecordsReconciler records = reconciler(clock);
  private final ReconcilerHarness<Backend> backends =
      ReconcilerHarness.of(records.controller("Backend", Backend.class));

  private RecordsReconciler reconciler(Clock clock) {
    return new RecordsReconciler(
        db, health, key -> "file:" + key.name() + ".yaml", MAPPER, clock, meters);
  }

  private static double parked(SimpleMeterRegistry meters) {
    return meters.get("switchboard.records.inventory.pending").gauge().value();
  }

  private Optional<Duration> reconcile(String name) {
    return backends.reconcile(name).rescheduleAfter();
  }

  private double parked() {
    return parked(meters);
  }

  private void putBackends(String... names) {
    for (String name : names) {
      backends.put(backend(name, "api", "dijon", "10.0.0.2", 80));
    }
  }

  @Test
  void writesARowPerChangeAndNothingForAnUnchangedResource() {
    putBackends("a");

    assertThat(reconcile("a")).isEmpty();
    assertThat(reconcile("a")).isEmpty();
    assertThat(db.upserts()).as("the second reconcile of an unchanged resource").isEqualTo(1);
    assertThat(db.row(A).source()).isEqualTo("file:a.yaml");

    backends.put(withHealth(backends.stored("a"), true, true, null));
    reconcile("a");

    assertThat(db.upserts()).isEqualTo(2);
    assertThat(db.row(A).status().toString()).contains("\"Serving\"");
    assertThat(health.synced()).isTrue();
  }

  @Test
  void parksEveryKeyWhileTheDatabaseIsDownAndOneKeyProbesItWithADoublingBackoff() {
    putBackends("a", "b", "c");
    db.down(true);

    assertThat(reconcile("a")).contains(Duration.ofMillis(200));
    assertThat(reconcile("b")).as("parked: no requeue of its own").isEmpty();
    assertThat(reconcile("c")).isEmpty();
    assertThat(db.connections()).as("known down: parked keys do not try").isEqualTo(1);
    assertThat(parked()).isEqualTo(3);
    assertThat(health.condition().reason).isEqualTo(RecordsHealth.DATABASE_UNAVAILABLE);

    List<Duration> delays = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      clock.advance(Duration.ofMillis(200).multipliedBy(1L << i));
      delays.add(reconcile("a").orElseThrow());
    }
    assertThat(delays)
        .containsExactly(
            Duration.ofMillis(400),
            Duration.ofMillis(800),
            Duration.ofMillis(1600),
            Duration.ofMillis(3200),
            Duration.ofSeconds(5),
            Duration.ofSeconds(5));
    assertThat(db.connections()).isEqualTo(7);
    assertThat(db.upserts()).isZero();
  }

  @Test
  void theProbingKeysSuccessUnparksItAndResetsTheBackoff() {
    putBackends("a", "b");
    db.down(true);
    reconcile("a");
    reconcile("b");
    db.down(false);
    clock.advance(Duration.ofMillis(200));

    assertThat(reconcile("a")).isEmpty();

    assertThat(db.has(A)).isTrue();
    assertThat(parked()).as("b waits for the resync recovery starts").isEqualTo(1);
    assertThat(health.synced()).isTrue();
    db.down(true);
    assertThat(reconcile("b")).as("backoff back at its start").contains(Duration.ofMillis(200));
  }

  @Test
  void theFirstSuccessAfterAnOutageResyncsTheParkedKeysOnTheRuntime() {
    // A real records runtime (and time): only the recovery can enqueue the parked keys again, its
    // periodic resync is an hour away.
    // Meters of its own: a gauge is registered once per registry, by the first reconciler.
    SimpleMeterRegistry own = new SimpleMeterRegistry();
    RecordsHealth liveHealth = new RecordsHealth(Clock.systemUTC(), own);
    RecordsReconciler live =
        new RecordsReconciler(db, liveHealth, key -> "test", MAPPER, Clock.systemUTC(), own);
    try (StandaloneRuntime runtime =
        new StandaloneRuntime(
            "records",
            "switchboard.records",
            backends.store(),
            StatusPublisher.NONE,
            own,
            MAPPER,
            2,
            Duration.ofHours(1))) {
      live.registerOn(runtime);
      db.down(true);
      runtime.start();
      putBackends("a", "b", "c");
      backends.put(site("dijon", "10.0.0.0/24"));
      // Four resources and the sweep.
      await().atMost(Duration.ofSeconds(5)).until(() -> parked(own) == 5);

      db.down(false);

      await().atMost(Duration.ofSeconds(10)).until(() -> db.live().size() == 4 && parked(own) == 0);
      assertThat(liveHealth.synced()).isTrue();
    }
  }

  @Test
  void aRemovalWhileTheDatabaseIsDownKeepsItsTombstoneUntilItIsWritten() {
    putBackends("a", "b");
    reconcile("a");
    reconcile("b");
    db.down(true);
    reconcile("b");

    Cleaned parked = backends.remove("a");

    assertThat(parked.tombstoneRemoved()).as("the runtime keeps the tombstone").isFalse();
    assertThat(parked.rescheduleAfter()).as("b probes the database, not a").isEmpty();
    assertThat(db.has(A)).isTrue();

    clock.advance(Duration.ofMillis(200));
    Cleaned probing = backends.cleanup(backend("a", "api", "dijon", "10.0.0.2", 80));
    assertThat(probing.tombstoneRemoved()).isFalse();
    assertThat(probing.rescheduleAfter()).contains(Duration.ofMillis(400));

    db.down(false);
    clock.advance(Duration.ofMillis(400));
    Cleaned written = backends.cleanup(backend("a", "api", "dijon", "10.0.0.2", 80));

    assertThat(written.tombstoneRemoved()).isTrue();
    assertThat(db.has(A)).isFalse();
  }

  @Test
  void theSweepHandsTheRuntimeTheLiveRowsOfResourcesTheStoreDoesNotHave() {
    db.upsert("Backend", "ghost", "file:gone.yaml", null, null, 1);
    List<ResourceKey> deletions = new ArrayList<>();
    ReconcilerHarness<InventorySweep> sweep =
        new ReconcilerHarness<>(records.sweep(deletions::add), backends.store());

    assertThat(sweep.reconcile(new InventorySweep()).rescheduleAfter()).isEmpty();

    assertThat(deletions).containsExactly(new ResourceKey("Backend", "ghost"));
  }

  @Test
  void aSweepThatFindsTheDatabaseDownProbesItAgainLater() {
    db.down(true);
    List<ResourceKey> deletions = new ArrayList<>();
    ReconcilerHarness<InventorySweep> sweep =
        new ReconcilerHarness<>(records.sweep(deletions::add), backends.store());

    assertThat(sweep.reconcile(new InventorySweep()).rescheduleAfter())
        .contains(Duration.ofMillis(200));
    assertThat(deletions).isEmpty();
  }
}
