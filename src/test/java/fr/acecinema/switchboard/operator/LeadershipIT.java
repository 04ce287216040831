package fr.acecinema.switchboard.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import fr.acecinema.switchboard.postgres.Database;
import fr.acecinema.switchboard.postgres.LeaseTable;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two hubs' leases on a real PostgreSQL. */
class LeadershipIT {
  @TempDir static Path dataDir;
  static Database db;

  private final List<Leadership> hubs = new ArrayList<>();

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
  void noLeaseYet() {
    db.withConnection("clear", c -> c.createStatement().executeUpdate("DELETE FROM leases"));
  }

  @AfterEach
  void stopHubs() {
    hubs.forEach(Leadership::close);
  }

  private Leadership hub(String name, Duration lease, Leadership.Ticker ticker) {
    Leadership l =
        new Leadership(
            () -> db.target().connect("switchboard-lease-test", 10), name, lease, ticker);
    hubs.add(l);
    return l;
  }

  /** A monotonic clock the test moves. */
  private static final class Manual implements Leadership.Ticker {
    final AtomicLong nanos = new AtomicLong(1_000);

    @Override
    public long nanoTime() {
      return nanos.get();
    }

    void advance(Duration d) {
      nanos.addAndGet(d.toNanos());
    }
  }

  @Test
  void theFirstHubToAskLeadsAndTheOtherLearnsWho() {
    Leadership a = hub("hub-a", Duration.ofSeconds(10), Leadership.Ticker.SYSTEM);
    Leadership b = hub("hub-b", Duration.ofSeconds(10), Leadership.Ticker.SYSTEM);
    a.step();
    b.step();
    assertThat(a.leading()).isTrue();
    assertThat(a.term()).hasValueSatisfying(t -> assertThat(t.epoch()).isEqualTo(1));
    assertThat(b.leading()).isFalse();
    assertThat(b.term()).isEmpty();
    assertThat(b.leader()).isEqualTo("hub-a");
    // Renewing keeps the term: the epoch changes only with the holder.
    a.step();
    assertThat(a.term()).hasValueSatisfying(t -> assertThat(t.epoch()).isEqualTo(1));
  }

  private Leadership hubWith(Manual clock, AtomicInteger broken) {
    Leadership l =
        new Leadership(
            () -> {
              if (broken.get() > 0) {
                throw new java.sql.SQLException("connection refused (the test)");
              }
              return db.target().connect("switchboard-lease-test", 10);
            },
            "hub-a",
            Duration.ofSeconds(10),
            clock);
    hubs.add(l);
    return l;
  }

  @Test
  void leadingEndsByTheHubsOwnClockAMarginBeforeTheLease() {
    Manual clock = new Manual();
    AtomicInteger broken = new AtomicInteger();
    Leadership a = hubWith(clock, broken);
    a.step();
    List<Boolean> told = new ArrayList<>();
    a.onChange(() -> told.add(a.leading()));
    // The database becomes unreachable: its connection dies, new ones are refused.
    broken.set(1);
    db.withConnection(
        "terminate",
        c ->
            c.createStatement()
                .execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        + " WHERE application_name = 'switchboard-lease-test'"));
    clock.advance(Duration.ofSeconds(8));
    a.step(); // fails
    assertThat(a.leading()).isTrue();
    clock.advance(Duration.ofMillis(999));
    assertThat(a.leading()).isTrue();
    clock.advance(Duration.ofMillis(2));
    // 9.001 s of a 10 s lease: the margin (a tenth) is reached, whatever the database says.
    assertThat(a.leading()).isFalse();
    assertThat(a.term()).isEmpty();
    a.step();
    assertThat(told).containsExactly(false);
  }

  @Test
  void aHubStoppingHandsTheLeaseOverAtOnce() {
    Leadership a = hub("hub-a", Duration.ofSeconds(30), Leadership.Ticker.SYSTEM);
    Leadership b = hub("hub-b", Duration.ofSeconds(30), Leadership.Ticker.SYSTEM);
    a.step();
    b.step();
    assertThat(b.leading()).isFalse();
    a.close();
    b.step();
    assertThat(b.leading()).isTrue();
    assertThat(b.term()).hasValueSatisfying(t -> assertThat(t.epoch()).isEqualTo(2));
  }

  @Test
  void aDeposedLeadersFencedWriteChangesNothing() throws Exception {
    Leadership a = hub("hub-a", Duration.ofSeconds(1), Leadership.Ticker.SYSTEM);
    Leadership b = hub("hub-b", Duration.ofSeconds(1), Leadership.Ticker.SYSTEM);
    a.step();
    Leadership.Term first = a.term().orElseThrow();
    // hub-a stalls (a long pause, a cut): its lease runs out in the database, hub-b takes it.
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              b.step();
              return b.leading();
            });
    Leadership.Term second = b.term().orElseThrow();
    assertThat(second.epoch()).isEqualTo(first.epoch() + 1);

    assertThat(fencedWrite(first)).as("the deposed leader's write").isZero();
    assertThat(fencedWrite(second)).as("the leader's write").isEqualTo(1);
  }

  /**
   * A write only the leader may make, as the product makes them ({@link Database#fenced}): touches
   * the lease row; 0 when the fence refuses the term.
   */
  private static int fencedWrite(Leadership.Term term) {
    try {
      return db.fenced(c -> LeaseTable.hold(c, LeaseTable.FLEET, term.hub(), term.epoch()))
          .withConnection(
              "fenced write",
              c -> {
                try (PreparedStatement s =
                    c.prepareStatement(
                        "UPDATE leases SET renewed_at = renewed_at WHERE name = ?")) {
                  s.setString(1, LeaseTable.FLEET);
                  return s.executeUpdate();
                }
              });
    } catch (fr.acecinema.switchboard.postgres.Fence.DeposedException e) {
      return 0;
    }
  }

  @Test
  void twoHubsRenewingOnTheirOwnNeverBothLeadAndTheSurvivorTakesOverAfterAKill() throws Exception {
    Leadership a = hub("hub-a", Duration.ofSeconds(2), Leadership.Ticker.SYSTEM);
    Leadership b = hub("hub-b", Duration.ofSeconds(2), Leadership.Ticker.SYSTEM);
    a.start();
    await().atMost(Duration.ofSeconds(10)).until(a::leading);
    b.start();
    AtomicInteger both = new AtomicInteger();
    AtomicInteger samples = new AtomicInteger();
    Thread watch =
        Thread.ofPlatform()
            .start(
                () -> {
                  // Sampled every 0.2 ms until stopped (bounded by the test's own awaits).
                  while (!Thread.currentThread().isInterrupted()) {
                    if (a.leading() && b.leading()) {
                      both.incrementAndGet();
                    }
                    samples.incrementAndGet();
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                  }
                });
    try {
      // hub-b asks every 400 ms meanwhile and is refused: hub-a renews.
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(10))
          .until(() -> a.leading() && !b.leading());
      long killed = System.nanoTime();
      a.halt(); // as kill -9: no hand-over
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(b::leading);
      System.out.printf(
          "[LeadershipIT] lease of 2s (renewed every 400 ms): hub-b led %d ms after hub-a's"
              + " kill%n",
          Duration.ofNanos(System.nanoTime() - killed).toMillis());
    } finally {
      watch.interrupt();
      watch.join();
    }
    assertThat(both.get()).as("samples where both hubs led, of %d", samples.get()).isZero();
  }
}
