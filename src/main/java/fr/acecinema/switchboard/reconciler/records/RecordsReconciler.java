package fr.acecinema.switchboard.reconciler.records;

import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.postgres.DatabaseException;
import fr.acecinema.switchboard.postgres.DatabaseUnavailableException;
import fr.acecinema.switchboard.postgres.Fence;
import fr.acecinema.switchboard.runtime.Controller;
import fr.acecinema.switchboard.runtime.StandaloneRuntime;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Level-triggered inventory of every Site, Service and Backend in PostgreSQL: spec, status,
 * generation, source and timestamps; removed resources keep their row with {@code deleted_at}.
 *
 * <p>Owns: the {@code inventory} table's rows (one per kind and name). Reads: each Site, Service
 * and Backend of the store as its own primary ({@link #registerOn} gives each kind a controller on
 * the records runtime instance), and the {@link InventorySweep} singleton. Conditions: none of its
 * own; the process-level {@code RecordsSynced} ({@link RecordsHealth}) says whether writes succeed.
 *
 * <p>It is off the routing path by construction: it runs on a second instance of the one runtime
 * (own queue, own workers), which only listens to the resource store; the Backend, Service and Site
 * reconcilers never call it. It compares each resource with the row it last wrote, so an unchanged
 * resource costs nothing. Requeue: when the database is unavailable it stops trying every key: keys
 * are parked (no requeue of their own), one key probes the database again after a backoff (200 ms
 * doubling to 5 s, {@code rescheduleAfter}), and the first success resyncs the instance, so records
 * converge within seconds of the database's return, without a restart. Other database errors wait
 * for the next resync. The sweep marks deleted the rows of resources that vanished while nothing
 * could be written, or while the process was down.
 */
public final class RecordsReconciler {
  private static final Logger log = LoggerFactory.getLogger(RecordsReconciler.class);
  static final Duration MIN_BACKOFF = Duration.ofMillis(200);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  // Throws DatabaseUnavailableException while the database is down or not started yet.
  private final Supplier<InventoryRows> db;
  private final RecordsHealth health;
  private final Function<ResourceKey, String> sourceOf;
  private final ObjectMapper mapper;
  private final Clock clock;
  private final Map<ResourceKey, InventoryRow> written = new ConcurrentHashMap<>();
  private final Set<ResourceKey> parked = ConcurrentHashMap.newKeySet();
  private final Object backoffLock = new Object();
  private long retryAt;
  private Duration backoff = MIN_BACKOFF;

  /**
   * @param sourceOf where a key is declared, for the inventory's {@code source} column
   */
  public RecordsReconciler(
      DatabaseHandle db,
      RecordsHealth health,
      Function<ResourceKey, String> sourceOf,
      ObjectMapper mapper,
      Clock clock,
      MeterRegistry meters) {
    this(() -> InventoryRows.of(db.records()), health, sourceOf, mapper, clock, meters);
  }

  /** With the inventory calls of {@code db} (tests: a fake database). */
  RecordsReconciler(
      Supplier<InventoryRows> db,
      RecordsHealth health,
      Function<ResourceKey, String> sourceOf,
      ObjectMapper mapper,
      Clock clock,
      MeterRegistry meters) {
    this.db = db;
    this.health = health;
    this.sourceOf = sourceOf;
    this.mapper = mapper;
    this.clock = clock;
    Gauge.builder("switchboard.records.inventory.pending", parked, Set::size)
        .description("Resources whose inventory row waits for the database to come back")
        .register(meters);
  }

  /**
   * What it reads (JOSDK's {@code prepareEventSources}): a controller per recorded kind and the
   * sweep, on {@code runtime}, the records instance; the database's recovery resyncs it.
   */
  public void registerOn(StandaloneRuntime runtime) {
    runtime.register(controller("Site", Site.class));
    runtime.register(controller("Service", Service.class));
    runtime.register(controller("Backend", Backend.class));
    runtime.registerSingleton(sweep(runtime::enqueueDeletion), new InventorySweep());
    health.onRecovery(
        () -> {
          synchronized (backoffLock) {
            retryAt = 0;
            backoff = MIN_BACKOFF;
          }
          runtime.resyncAll();
        });
  }

  /** The controller of one recorded kind (package-private: tests drive it without a runtime). */
  <R extends HasMetadata> Controller<R> controller(String kind, Class<R> type) {
    return new Controller<>(kind, type, new Inventory<>());
  }

  /**
   * The sweep's controller; {@code deletions} hands a key to the runtime as removed ({@link
   * StandaloneRuntime#enqueueDeletion}).
   */
  Controller<InventorySweep> sweep(Consumer<ResourceKey> deletions) {
    return new Controller<>(InventorySweep.KIND, InventorySweep.class, new Sweep(deletions));
  }

  /** Makes the inventory row of one resource match it; marks it deleted when it is removed. */
  private final class Inventory<R extends HasMetadata> implements Reconciler<R>, Cleaner<R> {
    @Override
    public UpdateControl<R> reconcile(R resource, Context<R> context) {
      ResourceKey key = ResourceKey.of(resource);
      Optional<Duration> retry = attempt(key, repo -> upsert(key, resource, repo));
      return retry
          .map(d -> UpdateControl.<R>noUpdate().rescheduleAfter(d))
          .orElseGet(UpdateControl::noUpdate);
    }

    @Override
    public DeleteControl cleanup(R resource, Context<R> context) {
      ResourceKey key = ResourceKey.of(resource);
      Optional<Duration> retry =
          attempt(
              key,
              repo -> {
                repo.markDeleted(key.kind(), key.name());
                written.remove(key);
              });
      if (parked.contains(key)) {
        // Not written: the runtime keeps the tombstone, so the next resync tries again.
        DeleteControl keep = DeleteControl.noFinalizerRemoval();
        return retry.map(d -> keep.rescheduleAfter(d.toMillis())).orElse(keep);
      }
      return DeleteControl.defaultDelete();
    }
  }

  /**
   * Hands the runtime, as deletions, the live rows of resources the store does not have: each is
   * then marked deleted by its own kind's cleanup, one key at a time like every other write.
   */
  private final class Sweep implements Reconciler<InventorySweep> {
    private final Consumer<ResourceKey> deletions;

    Sweep(Consumer<ResourceKey> deletions) {
      this.deletions = deletions;
    }

    @Override
    public UpdateControl<InventorySweep> reconcile(
        InventorySweep sweep, Context<InventorySweep> c) {
      return attempt(
              ResourceKey.of(sweep),
              repo ->
                  repo.live().forEach(r -> deletions.accept(new ResourceKey(r.kind(), r.name()))))
          .map(d -> UpdateControl.<InventorySweep>noUpdate().rescheduleAfter(d))
          .orElseGet(UpdateControl::noUpdate);
    }
  }

  /**
   * Runs {@code action} on the database unless it is known down (then the key is parked). Returns
   * the delay after which this key should probe the database again, if it was the one to find it
   * down.
   */
  private Optional<Duration> attempt(ResourceKey key, Consumer<InventoryRows> action) {
    synchronized (backoffLock) {
      if (clock.millis() < retryAt) {
        // Known down: park the key rather than wait 2 s for a connection per key.
        parked.add(key);
        return Optional.empty();
      }
    }
    try {
      action.accept(db.get());
      parked.remove(key);
      synchronized (backoffLock) {
        backoff = MIN_BACKOFF;
        retryAt = 0;
      }
      health.succeeded();
      return Optional.empty();
    } catch (DatabaseUnavailableException e) {
      parked.add(key);
      health.failed(e.getMessage());
      synchronized (backoffLock) {
        Duration wait = backoff;
        retryAt = clock.millis() + wait.toMillis();
        backoff =
            backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                ? MAX_BACKOFF
                : backoff.multipliedBy(2);
        // One key probes the database again after the backoff; its success resyncs the others.
        return Optional.of(wait);
      }
    } catch (Fence.DeposedException e) {
      // Another hub leads and keeps the inventory; this one resyncs if it leads again.
      return Optional.empty();
    } catch (DatabaseException e) {
      log.warn("recording {} failed: {}; retrying at the next resync", key, e.getMessage());
      return Optional.empty();
    }
  }

  private void upsert(ResourceKey key, HasMetadata resource, InventoryRows repo) {
    InventoryRow desired = InventoryRow.desired(resource, sourceOf.apply(key), mapper);
    if (desired.equals(written.get(key))) {
      return;
    }
    repo.upsert(
        key.kind(),
        key.name(),
        desired.source(),
        desired.spec(),
        desired.status(),
        desired.generation());
    written.put(key, desired);
  }
}
