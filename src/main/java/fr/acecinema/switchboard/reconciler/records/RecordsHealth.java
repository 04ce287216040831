package fr.acecinema.switchboard.reconciler.records;

import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.ConditionTypes;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process-level {@code RecordsSynced} condition: whether the records reach PostgreSQL right
 * now. It is deliberately not written into each resource's status: the database being down says
 * nothing about a Site or a Backend, and writing a condition into every manifest on every outage
 * would turn one database event into a burst of file writes while routing must stay quiet. It is
 * surfaced instead by {@code /readyz} details, the gauge {@code switchboard.records.synced} (1 or
 * 0) and one log line per transition.
 */
public final class RecordsHealth {
  private static final Logger log = LoggerFactory.getLogger(RecordsHealth.class);

  /** Reason while records are written. */
  public static final String SYNCED = "Synced";

  /** Reason while the database cannot be reached. */
  public static final String DATABASE_UNAVAILABLE = "DatabaseUnavailable";

  /** Reason before the first successful write. */
  public static final String STARTING = "DatabaseStarting";

  private final Clock clock;
  private final List<Runnable> onRecovery = new CopyOnWriteArrayList<>();
  private volatile Condition condition;

  public RecordsHealth(Clock clock, MeterRegistry meters) {
    this.clock = clock;
    this.condition =
        condition(Condition.UNKNOWN, STARTING, "waiting for the database to accept connections");
    Gauge.builder("switchboard.records.synced", this, h -> h.synced() ? 1 : 0)
        .description("1 when the records in PostgreSQL are up to date (RecordsSynced=True)")
        .register(meters);
  }

  /** Runs {@code r} (on the caller's thread) each time records become synced after a failure. */
  public void onRecovery(Runnable r) {
    onRecovery.add(r);
  }

  /** A write went through. */
  public void succeeded() {
    Condition previous = condition;
    if (previous.isTrue()) {
      return;
    }
    condition = condition(Condition.TRUE, SYNCED, "records are written to PostgreSQL");
    if (!Condition.UNKNOWN.equals(previous.status)) {
      log.info("RecordsSynced=True: the database is reachable again, records catch up");
    }
    onRecovery.forEach(Runnable::run);
  }

  /** A write failed because the database cannot be reached. */
  public void failed(String why) {
    Condition previous = condition;
    if (Condition.FALSE.equals(previous.status)) {
      return;
    }
    condition =
        condition(
            Condition.FALSE,
            DATABASE_UNAVAILABLE,
            "records are buffered, routing and probing go on: " + why);
    log.warn("RecordsSynced=False: {}", condition.message);
  }

  public boolean synced() {
    return condition.isTrue();
  }

  /** The current condition (type {@code RecordsSynced}). */
  public Condition condition() {
    return condition;
  }

  private Condition condition(String status, String reason, String message) {
    Condition c = new Condition(ConditionTypes.RECORDS_SYNCED, status, reason, message);
    c.lastTransitionTime = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    return c;
  }
}
