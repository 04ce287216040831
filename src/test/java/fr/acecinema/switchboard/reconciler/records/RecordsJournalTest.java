package fr.acecinema.switchboard.reconciler.records;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.postgres.EventType;
import fr.acecinema.switchboard.postgres.ProbeMinute;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordsJournalTest {
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final Clock clock = Clock.fixed(Instant.parse("2026-03-01T12:00:30Z"), ZoneOffset.UTC);

  @Test
  void dropsTheOldestEntriesBeyondCapacityAndCountsThem() {
    RecordsHealth health = new RecordsHealth(clock, meters);
    RecordsJournal journal =
        new RecordsJournal(new DatabaseHandle(), health, new ProbeMinutes(), clock, 3, meters);
    for (int i = 0; i < 5; i++) {
      journal.event(new ResourceKey("Backend", "b"), EventType.NORMAL, "R", "message " + i);
    }
    assertThat(journal.pending()).isEqualTo(3);
    assertThat(journal.waiting())
        .as("the two oldest went, the three newest wait in order")
        .extracting(e -> ((RecordsJournal.Event) e).message())
        .containsExactly("message 2", "message 3", "message 4");
    assertThat(journal.dropped()).isEqualTo(2);
    assertThat(meters.get("switchboard.records.dropped").counter().count()).isEqualTo(2.0);
  }

  @Test
  void reportsRecordsSyncedFalseWhileTheDatabaseIsNotThereAndKeepsTheEntries() {
    RecordsHealth health = new RecordsHealth(clock, meters);
    RecordsJournal journal =
        new RecordsJournal(new DatabaseHandle(), health, new ProbeMinutes(), clock, 10, meters);
    journal.event(new ResourceKey("Backend", "b"), EventType.WARNING, "R", "m");
    journal.start();
    org.awaitility.Awaitility.await().until(() -> "False".equals(health.condition().status));
    assertThat(health.condition().type).isEqualTo("RecordsSynced");
    assertThat(health.condition().reason).isEqualTo(RecordsHealth.DATABASE_UNAVAILABLE);
    assertThat(journal.pending()).isEqualTo(1);
    assertThat(meters.get("switchboard.records.synced").gauge().value()).isZero();
    journal.close(100);
  }

  @Test
  void foldsProbesIntoMinutesAndReleasesOnlyCompletedOnes() {
    ProbeMinutes minutes = new ProbeMinutes();
    Instant t = Instant.parse("2026-03-01T12:00:10Z");
    minutes.add("b", t, true, 4);
    minutes.add("b", t.plusSeconds(1), false, 150);
    minutes.add("b", t.plusSeconds(60), true, 30);
    List<ProbeMinute> done = minutes.drainCompleted(Instant.parse("2026-03-01T12:01:30Z"));
    assertThat(done).hasSize(1);
    ProbeMinute m = done.get(0);
    assertThat(m.probes()).isEqualTo(2);
    assertThat(m.failures()).isEqualTo(1);
    assertThat(m.latencySumMs()).isEqualTo(4);
    assertThat(m.latencyBuckets()[0]).isEqualTo(1);
    assertThat(minutes.drainAll()).hasSize(1);
  }
}
