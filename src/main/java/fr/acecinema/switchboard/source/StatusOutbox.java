package fr.acecinema.switchboard.source;

import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.runtime.StatusPublisher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles hand their statuses here and go on; one writer per location (a file) drains everything
 * that queued for it and writes it in one go. Writes of one location never overlap, a newer status
 * of a document replaces one still waiting, and while one write of a file is on disk the next batch
 * gathers: the number of writes follows the disk, not the reconcile rate.
 */
final class StatusOutbox implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StatusOutbox.class);

  /** Told when statuses could not be written, so their keys can be reconciled again. */
  interface FailureListener {
    void failed(ResourceKey key, Exception cause);
  }

  private record Location(String source, String location) {}

  private record Pending(ResourceKey key, StatusWriter.Entry entry) {}

  private final Function<String, StatusWriter> writers;
  private final FailureListener failures;
  private final StatusWriteHealth health;
  private final Map<Location, LinkedHashMap<Integer, Pending>> pending = new HashMap<>();
  private final Set<Location> draining = new HashSet<>();
  private final ExecutorService executor =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("status-write-", 0).factory());
  // Brings back statuses of files that were busy (being written by someone) when their turn came.
  private final ScheduledExecutorService retries =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("status-write-retry").unstarted(r));
  // Bounds concurrent file writes (fsyncs) so a burst over many files does not thrash the disk.
  private final Semaphore slots;
  // The error last logged per location: a file the process cannot write (immutable, read-only
  // mount) fails at every retry, and one WARN per change of error is what an operator can read.
  private final Map<Location, String> failing = new java.util.concurrent.ConcurrentHashMap<>();
  private boolean closed;

  StatusOutbox(
      Function<String, StatusWriter> writers,
      FailureListener failures,
      StatusWriteHealth health,
      int parallel) {
    this.writers = writers;
    this.failures = failures;
    this.health = health;
    this.slots = new Semaphore(parallel);
  }

  /** Queues a status; returns at once. */
  synchronized StatusPublisher.Outcome submit(
      ResourceKey key, Origin origin, long generation, ObjectNode status) {
    if (closed) {
      return StatusPublisher.Outcome.STALE;
    }
    Location loc = new Location(origin.source(), origin.location());
    pending
        .computeIfAbsent(loc, l -> new LinkedHashMap<>())
        .put(
            origin.document(),
            new Pending(key, new StatusWriter.Entry(origin, generation, status)));
    if (draining.add(loc)) {
      executor.execute(() -> drain(loc));
    }
    return StatusPublisher.Outcome.QUEUED;
  }

  private void drain(Location loc) {
    while (true) {
      List<Pending> batch;
      synchronized (this) {
        LinkedHashMap<Integer, Pending> next = pending.remove(loc);
        if (next == null) {
          draining.remove(loc);
          notifyAll();
          return;
        }
        batch = new ArrayList<>(next.values());
      }
      write(loc, batch);
    }
  }

  private void write(Location loc, List<Pending> batch) {
    StatusWriter writer = writers.apply(loc.source());
    if (writer == null) {
      return;
    }
    slots.acquireUninterruptibly();
    try {
      List<StatusWriter.Outcome> outcomes =
          writer.writeAll(batch.stream().map(Pending::entry).toList());
      health.succeeded(loc.location());
      if (log.isDebugEnabled()) {
        log.debug("{} statuses into {}: {}", batch.size(), loc.location(), outcomes);
      }
      if (failing.remove(loc) != null) {
        log.info("writing statuses into {} works again", loc.location());
      }
    } catch (StatusWriter.BusyException e) {
      log.debug("{}; retrying in {}", e.getMessage(), e.retryAfter());
      retryLater(loc, batch, e.retryAfter());
    } catch (Exception e) {
      health.failed(loc.location(), e);
      String error = e.toString();
      // Compared without its paths: each attempt names a new temporary file and descriptor.
      String kind = error.replaceAll("\\S*/\\S*", "…");
      if (!kind.equals(failing.put(loc, kind))) {
        log.warn(
            "writing statuses into {} failed: {}; retrying with a growing delay (up to {}), one"
                + " line per change of error",
            loc.location(),
            error,
            "1m");
      } else {
        log.debug("writing {} statuses into {} failed again: {}", batch.size(), loc, error);
      }
      batch.stream().filter(p -> p.key() != null).forEach(p -> failures.failed(p.key(), e));
    } finally {
      slots.release();
    }
  }

  /**
   * Queues {@code batch} again after {@code delay}, behind nothing: a status of the same document
   * submitted meanwhile is newer and wins.
   */
  private void retryLater(Location loc, List<Pending> batch, Duration delay) {
    Runnable requeue =
        () -> {
          synchronized (this) {
            if (closed) {
              return;
            }
            LinkedHashMap<Integer, Pending> next =
                pending.computeIfAbsent(loc, l -> new LinkedHashMap<>());
            for (Pending p : batch) {
              next.putIfAbsent(p.entry().origin().document(), p);
            }
            if (draining.add(loc)) {
              executor.execute(() -> drain(loc));
            }
          }
        };
    try {
      retries.schedule(requeue, Math.max(1, delay.toMillis()), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing: the next start computes and writes every status again
    }
  }

  /** Waits (bounded) until every queued status is on disk, then stops taking new ones. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!draining.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          log.warn("{} locations still had statuses to write at shutdown", draining.size());
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    retries.shutdownNow();
    executor.shutdown();
  }
}
