package fr.acecinema.switchboard.reconciler.records;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.postgres.ConfigRevision;
import fr.acecinema.switchboard.postgres.DatabaseException;
import fr.acecinema.switchboard.postgres.DatabaseUnavailableException;
import fr.acecinema.switchboard.postgres.DeploymentRevision;
import fr.acecinema.switchboard.postgres.EventType;
import fr.acecinema.switchboard.postgres.Fence;
import fr.acecinema.switchboard.postgres.HealthTransition;
import fr.acecinema.switchboard.postgres.ProbeMinute;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only records (health transitions, events, probe minutes, Caddy revisions, Deployment
 * revisions) on their way to PostgreSQL: callers append and return at once, one thread writes them
 * in order.
 *
 * <p>While the database is down the entries wait in a bounded buffer ({@code capacity} entries).
 * When it is full the oldest entry is dropped and counted ({@code switchboard.records.dropped}),
 * with a warning: losing the oldest history of a very long outage is better than losing the newest,
 * or than growing without bound in a process whose first duty is routing. A health transition is
 * one entry, a minute of probe aggregates for all backends one entry, so the default 10,000 entries
 * hold a week of 1 s probes of 50 backends that flap every few minutes.
 */
public final class RecordsJournal
    implements RevisionRecorder, EventRecorder, DeploymentRevisionRecorder, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RecordsJournal.class);
  private static final long MIN_BACKOFF_MS = 200;
  private static final long MAX_BACKOFF_MS = 5_000;
  private static final long TICK_MS = 1_000;

  /** One record to write. */
  sealed interface Entry {
    void write(RecordsRepository repo);
  }

  record Transition(HealthTransition transition) implements Entry {
    @Override
    public void write(RecordsRepository repo) {
      repo.appendHealthTransition(transition);
    }
  }

  record Event(ResourceKey key, EventType type, String reason, String message) implements Entry {
    @Override
    public void write(RecordsRepository repo) {
      repo.recordEvent(key.kind(), key.name(), type, reason, message);
    }
  }

  record Minutes(List<ProbeMinute> minutes) implements Entry {
    @Override
    public void write(RecordsRepository repo) {
      repo.recordProbeMinutes(minutes);
    }
  }

  record Revision(String hash, JsonNode content, String error) implements Entry {
    @Override
    public void write(RecordsRepository repo) {
      repo.recordRevision(
          hash,
          content,
          error == null ? ConfigRevision.Result.APPLIED : ConfigRevision.Result.FAILED,
          error);
    }
  }

  record Rollout(DeploymentRevision revision) implements Entry {
    @Override
    public void write(RecordsRepository repo) {
      repo.upsertDeploymentRevision(revision);
    }
  }

  private final DatabaseHandle db;
  private final RecordsHealth health;
  private final ProbeMinutes minutes;
  private final Clock clock;
  private final int capacity;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private final Counter dropped;
  private final Counter written;
  private final Thread thread;
  private boolean warnedFull;
  private volatile boolean closed;
  private volatile java.util.function.BooleanSupplier leading = () -> true;

  public RecordsJournal(
      DatabaseHandle db,
      RecordsHealth health,
      ProbeMinutes minutes,
      Clock clock,
      int capacity,
      MeterRegistry meters) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
    }
    this.db = db;
    this.health = health;
    this.minutes = minutes;
    this.clock = clock;
    this.capacity = capacity;
    this.dropped =
        Counter.builder("switchboard.records.dropped")
            .description(
                "Records (history, events, probe minutes, revisions) dropped: buffer full during a"
                    + " database outage, or refused by the database")
            .register(meters);
    this.written =
        Counter.builder("switchboard.records.written")
            .description("Records written to PostgreSQL")
            .register(meters);
    Gauge.builder("switchboard.records.pending", this, RecordsJournal::pending)
        .description("Records waiting to be written to PostgreSQL")
        .register(meters);
    this.thread = Thread.ofPlatform().daemon().name("records-journal").unstarted(this::run);
  }

  public void start() {
    thread.start();
  }

  /**
   * Records only while {@code leading} (hubs sharing a database: the leader records, the others
   * would repeat it); what is appended meanwhile is dropped. The writes are fenced too ({@link
   * DatabaseHandle}): an entry written after the lease ended is dropped by the database.
   */
  public void onlyWhile(java.util.function.BooleanSupplier leading) {
    this.leading = leading;
  }

  /** Appends a health transition. */
  public void transition(HealthTransition t) {
    append(new Transition(t));
  }

  @Override
  public void event(ResourceKey key, EventType type, String reason, String message) {
    append(new Event(key, type, reason, message));
  }

  @Override
  public void pushed(String hash, JsonNode content, String error) {
    append(new Revision(hash, content, error));
  }

  @Override
  public void revision(DeploymentRevision revision) {
    append(new Rollout(revision));
  }

  /** Entries waiting to be written. */
  public synchronized int pending() {
    return entries.size();
  }

  /** What waits to be written, oldest first (tests: which entries a full buffer dropped). */
  synchronized List<Entry> waiting() {
    return List.copyOf(entries);
  }

  /** Entries dropped because the buffer was full. */
  public long dropped() {
    return (long) dropped.count();
  }

  void append(Entry e) {
    if (!leading.getAsBoolean()) {
      return;
    }
    synchronized (this) {
      if (closed) {
        return;
      }
      if (entries.size() >= capacity) {
        entries.pollFirst();
        dropped.increment();
        if (!warnedFull) {
          warnedFull = true;
          log.warn(
              "records buffer full ({} entries) while the database is unavailable; dropping the"
                  + " oldest (counted in switchboard.records.dropped)",
              capacity);
        }
      }
      entries.addLast(e);
      notifyAll();
    }
  }

  private void run() {
    long backoff = MIN_BACKOFF_MS;
    while (!closed) {
      List<ProbeMinute> done = minutes.drainCompleted(clock.instant());
      if (!done.isEmpty()) {
        append(new Minutes(done));
      }
      Entry next;
      synchronized (this) {
        next = entries.peekFirst();
        if (next == null) {
          pause(TICK_MS);
          continue;
        }
      }
      switch (write(next)) {
        case OK -> backoff = MIN_BACKOFF_MS;
        case UNAVAILABLE -> {
          synchronized (this) {
            pause(backoff);
          }
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        }
      }
    }
  }

  private enum Outcome {
    OK,
    UNAVAILABLE
  }

  private Outcome write(Entry next) {
    try {
      next.write(db.records());
      remove(next);
      written.increment();
      health.succeeded();
      return Outcome.OK;
    } catch (DatabaseUnavailableException e) {
      health.failed(e.getMessage());
      return Outcome.UNAVAILABLE;
    } catch (Fence.DeposedException e) {
      // Another hub leads now and records what it sees; this entry is not the fleet's any more.
      log.debug("record not written, {}: {}", e.getMessage(), next);
      remove(next);
      return Outcome.OK;
    } catch (DatabaseException | IllegalArgumentException e) {
      // The database refused this entry itself (e.g. a constraint): retrying cannot help.
      log.error("dropping a record the database refuses: {}: {}", next, e.getMessage());
      remove(next);
      dropped.increment();
      return Outcome.OK;
    }
  }

  private synchronized void remove(Entry e) {
    if (entries.peekFirst() == e) {
      entries.pollFirst();
    }
    if (entries.isEmpty()) {
      warnedFull = false;
    }
  }

  private void pause(long ms) {
    try {
      wait(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
    }
  }

  /** Writes what it can within {@code graceMs} (the minutes in progress included), then stops. */
  public void close(long graceMs) {
    List<ProbeMinute> rest = minutes.drainAll();
    if (!rest.isEmpty()) {
      append(new Minutes(rest));
    }
    long deadline = System.currentTimeMillis() + graceMs;
    while (System.currentTimeMillis() < deadline && health.synced()) {
      synchronized (this) {
        if (entries.isEmpty()) {
          break;
        }
        pause(20);
      }
    }
    synchronized (this) {
      closed = true;
      notifyAll();
    }
    try {
      thread.join(Math.max(graceMs, 100));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    int left = pending();
    if (left > 0) {
      log.warn("{} record(s) not written at shutdown: the database was unavailable", left);
    }
  }

  @Override
  public void close() {
    close(2_000);
  }
}
