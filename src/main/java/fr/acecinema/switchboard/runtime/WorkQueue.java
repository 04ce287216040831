package fr.acecinema.switchboard.runtime;

import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A de-duplicating keyed work queue in the style of client-go's: a key waits at most once; a key
 * being processed is never handed out twice, and if it is added meanwhile it is handed out again
 * once {@link #done} is called. Delayed adds serve rescheduling and retry backoff.
 */
public final class WorkQueue<K> implements AutoCloseable {
  private final LinkedHashSet<K> waiting = new LinkedHashSet<>();
  private final Set<K> processing = new HashSet<>();
  private final Set<K> dirtyWhileProcessing = new HashSet<>();
  private final ScheduledExecutorService delays;
  // When each delayed add not yet made is due (System.nanoTime): a queue with one pending is not
  // idle, a reschedule is still to come.
  private final PriorityQueue<Long> delayed = new PriorityQueue<>();
  private boolean closed;

  public WorkQueue() {
    this.delays =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("workqueue-delays").factory());
  }

  /** Makes the key due now. */
  public synchronized void add(K key) {
    if (closed) {
      return;
    }
    if (processing.contains(key)) {
      dirtyWhileProcessing.add(key);
      return;
    }
    if (waiting.add(key)) {
      notifyAll();
    }
  }

  /** Makes the key due after {@code delay}. */
  public void addAfter(K key, Duration delay) {
    if (delay.isZero() || delay.isNegative()) {
      add(key);
      return;
    }
    synchronized (this) {
      if (closed) {
        return;
      }
      long due = System.nanoTime() + delay.toNanos();
      delayed.add(due);
      delays.schedule(
          () -> {
            synchronized (this) {
              delayed.remove(due);
              add(key);
            }
          },
          delay.toMillis(),
          TimeUnit.MILLISECONDS);
    }
  }

  /** Blocks until a key is due; returns null once the queue is closed. */
  public synchronized K take() throws InterruptedException {
    while (waiting.isEmpty() && !closed) {
      wait();
    }
    if (closed) {
      return null;
    }
    var it = waiting.iterator();
    K key = it.next();
    it.remove();
    processing.add(key);
    return key;
  }

  /** Marks the key as processed; re-queues it if it was added while being processed. */
  public synchronized void done(K key) {
    processing.remove(key);
    if (dirtyWhileProcessing.remove(key) && !closed) {
      waiting.add(key);
      notifyAll();
    }
  }

  /** Keys waiting (not counting those being processed). */
  public synchronized int depth() {
    return waiting.size();
  }

  /** True when no key waits, none is being processed and no delayed add is still to come. */
  public boolean idle() {
    return idle(null);
  }

  /**
   * True when no key waits, none is being processed and no delayed add is due within {@code
   * horizon} (null: none at all). A queue some key of which requeues itself periodically is never
   * idle; it can be idle up to a horizon shorter than that period.
   */
  public synchronized boolean idle(Duration horizon) {
    if (!waiting.isEmpty() || !processing.isEmpty()) {
      return false;
    }
    Long next = delayed.peek();
    return next == null || (horizon != null && next - System.nanoTime() > horizon.toNanos());
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      notifyAll();
    }
    delays.shutdownNow();
  }
}
