package fr.acecinema.switchboard.reconciler.records;

import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.ConditionTypes;
import fr.acecinema.switchboard.api.v1alpha1.ResourceStatus;
import fr.acecinema.switchboard.postgres.DatabaseException;
import fr.acecinema.switchboard.postgres.DatabaseUnavailableException;
import fr.acecinema.switchboard.postgres.EventType;
import fr.acecinema.switchboard.postgres.InventoryRecord;
import fr.acecinema.switchboard.postgres.RecordsRepository;
import fr.acecinema.switchboard.runtime.ResourceStore;
import fr.acecinema.switchboard.runtime.WorkQueue;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Level-triggered inventory of every Site, Service and Backend in PostgreSQL: spec, status,
 * generation, source and timestamps; removed resources keep their row with {@code deleted_at}.
 *
 * <p>It is off the routing path by construction: it only listens to the resource store (the
 * Backend, Service and Site reconcilers never call it), keeps its own keyed de-duplicating queue
 * and its own worker threads, and compares each resource with the row it last wrote, so an
 * unchanged resource costs nothing. When the database is unavailable it stops trying every key:
 * keys wait in a pending set, one attempt is made per backoff period (200 ms doubling to 5 s), and
 * the first success re-enqueues them all, so records converge within seconds of the database's
 * return, without a restart. A periodic sweep marks deleted the rows of resources that vanished
 * while nothing could be written.
 *
 * <p>It also turns condition changes seen in the store into events (Normal when a condition becomes
 * True, Warning when it becomes False), through the journal, so they survive an outage; except the
 * {@code Ready} and {@code Healthy} conditions of Backends and Sites, whose transitions are told
 * once each by {@code notify.Transitions} ({@code BackendDown}, {@code SiteMaintenanceStarted}…).
 */
public final class RecordsReconciler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RecordsReconciler.class);
  private static final ResourceKey SWEEP = new ResourceKey("#sweep", "inventory");
  private static final long MIN_BACKOFF_MS = 200;
  private static final long MAX_BACKOFF_MS = 5_000;

  private final ResourceStore store;
  private final DatabaseHandle db;
  private final RecordsHealth health;
  private final EventRecorder events;
  private final Function<ResourceKey, String> sourceOf;
  private final ObjectMapper mapper;
  private final Duration resync;
  private final int workers;
  private final MeterRegistry meters;
  private final WorkQueue<ResourceKey> queue = new WorkQueue<>();
  private final Map<ResourceKey, InventoryRow> written = new ConcurrentHashMap<>();
  private final Set<ResourceKey> pending = ConcurrentHashMap.newKeySet();
  private final List<Thread> threads = new ArrayList<>();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("records-resync").factory());
  private final Object backoffLock = new Object();
  private long retryAt;
  private long backoff = MIN_BACKOFF_MS;
  private volatile boolean running;

  /**
   * @param sourceOf where a key is declared, for the inventory's {@code source} column
   * @param resync how often every key is re-checked and vanished rows are swept
   * @param workers threads writing the inventory (the pool has 4 connections)
   */
  public RecordsReconciler(
      ResourceStore store,
      DatabaseHandle db,
      RecordsHealth health,
      EventRecorder events,
      Function<ResourceKey, String> sourceOf,
      ObjectMapper mapper,
      Duration resync,
      int workers,
      MeterRegistry meters) {
    this.store = store;
    this.db = db;
    this.health = health;
    this.events = events;
    this.sourceOf = sourceOf;
    this.mapper = mapper;
    this.resync = resync;
    this.workers = workers;
    this.meters = meters;
    Gauge.builder("switchboard.records.inventory.pending", pending, Set::size)
        .description("Resources whose inventory row waits for the database to come back")
        .register(meters);
    store.addListener(this::onChange);
    health.onRecovery(this::catchUp);
  }

  /** Starts the workers and enqueues every stored resource and a sweep. */
  public synchronized void start() {
    running = true;
    for (int i = 0; i < workers; i++) {
      threads.add(Thread.ofVirtual().name("records-" + i).start(this::work));
    }
    long period = resync.toMillis();
    timer.scheduleAtFixedRate(this::resyncAll, period, period, TimeUnit.MILLISECONDS);
    resyncAll();
  }

  /** Enqueues every known key and a sweep of vanished rows. */
  public void resyncAll() {
    store.keys().forEach(queue::add);
    queue.add(SWEEP);
  }

  /** True when nothing waits, nothing is being written and nothing is parked (tests). */
  public boolean idle() {
    return queue.idle() && pending.isEmpty();
  }

  private void onChange(ResourceKey key, HasMetadata previous, HasMetadata current) {
    queue.add(key);
    try {
      recordConditionEvents(key, previous, current);
    } catch (RuntimeException e) {
      // Events are a by-product; a surprise here must never disturb the store's writer.
      log.warn("could not derive events for {}: {}", key, e.toString());
    }
  }

  private void recordConditionEvents(ResourceKey key, HasMetadata previous, HasMetadata current) {
    if (current == null) {
      if (previous != null) {
        events.event(key, EventType.NORMAL, "Deleted", key + " is no longer declared");
      }
      return;
    }
    List<Condition> before = conditions(previous);
    for (Condition now : conditions(current)) {
      if (toldByTransitions(key, now.type)) {
        continue;
      }
      Condition was =
          before.stream().filter(c -> Objects.equals(c.type, now.type)).findFirst().orElse(null);
      boolean changed =
          was == null
              ? previous != null && !before.isEmpty()
              : !Objects.equals(was.status, now.status) || !Objects.equals(was.reason, now.reason);
      if (!changed || now.status == null) {
        continue;
      }
      EventType type = Condition.FALSE.equals(now.status) ? EventType.WARNING : EventType.NORMAL;
      events.event(
          key,
          type,
          now.reason == null ? now.type : now.reason,
          now.type + "=" + now.status + (now.message == null ? "" : ": " + now.message));
    }
  }

  /** Conditions whose changes are events of {@code notify.Transitions}, one per transition. */
  private static boolean toldByTransitions(ResourceKey key, String type) {
    return switch (key.kind()) {
      case "Backend" -> ConditionTypes.READY.equals(type) || ConditionTypes.HEALTHY.equals(type);
      case "Site" -> ConditionTypes.READY.equals(type);
      default -> false;
    };
  }

  private static List<Condition> conditions(HasMetadata r) {
    if (r instanceof CustomResource<?, ?> cr && cr.getStatus() instanceof ResourceStatus s) {
      return s.conditions == null ? List.of() : s.conditions;
    }
    return List.of();
  }

  private void work() {
    while (running) {
      ResourceKey key;
      try {
        key = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      if (key == null) {
        return;
      }
      try {
        process(key);
      } catch (RuntimeException e) {
        log.error("unexpected failure recording {}", key, e);
        queue.addAfter(key, Duration.ofSeconds(5));
      } finally {
        queue.done(key);
      }
    }
  }

  private void process(ResourceKey key) {
    synchronized (backoffLock) {
      if (System.currentTimeMillis() < retryAt) {
        // Known down: park the key rather than wait 2 s for a connection per key.
        pending.add(key);
        return;
      }
    }
    Timer.Sample sample = Timer.start(meters);
    String result = "success";
    try {
      if (key.equals(SWEEP)) {
        sweep(db.records());
      } else {
        reconcile(key, db.records());
      }
      pending.remove(key);
      synchronized (backoffLock) {
        backoff = MIN_BACKOFF_MS;
        retryAt = 0;
      }
      health.succeeded();
    } catch (DatabaseUnavailableException e) {
      result = "unavailable";
      pending.add(key);
      health.failed(e.getMessage());
      long wait;
      synchronized (backoffLock) {
        wait = backoff;
        retryAt = System.currentTimeMillis() + backoff;
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
      // One key probes the database again after the backoff; its success releases the others.
      queue.addAfter(key, Duration.ofMillis(wait));
    } catch (DatabaseException e) {
      result = "error";
      log.warn("recording {} failed: {}; retrying at the next resync", key, e.getMessage());
    } finally {
      sample.stop(
          Timer.builder("switchboard.records.reconcile")
              .description(
                  "Duration of one inventory update in PostgreSQL, by result (success,"
                      + " unavailable, error)")
              .tag("result", result)
              .register(meters));
    }
  }

  /** Makes the inventory row of {@code key} match the store. */
  void reconcile(ResourceKey key, RecordsRepository repo) {
    HasMetadata resource = store.get(key).orElse(null);
    if (resource == null) {
      repo.markDeleted(key.kind(), key.name());
      written.remove(key);
      return;
    }
    InventoryRow desired = InventoryRow.desired(resource, sourceOf.apply(key), mapper);
    if (desired.equals(written.get(key))) {
      return;
    }
    repo.upsertInventory(
        key.kind(),
        key.name(),
        desired.source(),
        desired.spec(),
        desired.status(),
        desired.generation());
    written.put(key, desired);
  }

  private void sweep(RecordsRepository repo) {
    for (InventoryRecord r : repo.inventory(null)) {
      ResourceKey key = new ResourceKey(r.kind(), r.name());
      if (store.get(key).isEmpty()) {
        queue.add(key);
      }
    }
  }

  private void catchUp() {
    synchronized (backoffLock) {
      retryAt = 0;
      backoff = MIN_BACKOFF_MS;
    }
    List<ResourceKey> parked = List.copyOf(pending);
    parked.forEach(queue::add);
    queue.add(SWEEP);
  }

  @Override
  public void close() {
    running = false;
    timer.shutdownNow();
    queue.close();
    for (Thread t : threads) {
      try {
        t.join(Duration.ofSeconds(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
