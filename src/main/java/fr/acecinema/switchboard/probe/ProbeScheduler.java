package fr.acecinema.switchboard.probe;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.BackendStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one probe loop per backend, each on its own virtual thread, so a thousand backends cost a
 * thousand parked virtual threads, a slow probe delays nobody else, and the probes of one backend
 * never overlap.
 *
 * <p>Reconcilers call {@link #ensure} on every pass; it only starts or restarts a loop when the
 * target changed. The first probe of a loop is delayed by a random part of its interval (at most
 * 250 ms) so loops started together do not all fire at once; probes start on a shared 20 ms grid
 * (finer for intervals under 200 ms) so that loops wake together in batches.
 *
 * <p>Metrics, when a registry is given: timer {@code switchboard.probe.latency} tagged {@code
 * backend} (the key's name) and {@code result} ({@code success}/{@code failure}); a backend's
 * timers are removed with it.
 */
public final class ProbeScheduler implements AutoCloseable {
  /** Timer name of probe latency. */
  public static final String LATENCY_METRIC = "switchboard.probe.latency";

  private static final long FIRST_PROBE_SPREAD_NANOS = 250_000_000L;

  /**
   * First probes of loops in flight at once. A cold start opens a connection per backend at the
   * same moment, and OkHttp's connection bookkeeping (pool cleanup scheduling behind one lock for
   * the process) turned a thousand simultaneous first probes into ~450 false one-second timeouts
   * (StatusLatencyBenchmark); a few dozen at a time keep every timeout honest. Only first probes
   * wait: later ones reuse their connection, and a hung backend must never delay the others.
   */
  static final int MAX_FIRST_PROBES_IN_FLIGHT = 32;

  private final Semaphore firstProbes = new Semaphore(MAX_FIRST_PROBES_IN_FLIGHT);

  /**
   * Probes are started on a grid of this step (or a tenth of their interval, if smaller) shared by
   * every loop, so a thousand loops wake in a few dozen batches a second instead of a thousand
   * separate wake-ups: the carrier threads, OkHttp's connection clean-up and Okio's timeout
   * watchdog then do their work in bursts, not once per probe.
   */
  static final long WAKE_GRID_NANOS = 20_000_000L;

  /**
   * After {@link #probeNow} (a host back from dead, a port accepting again), probes are repeated
   * this often, for at most {@link #FAST_WINDOW_NANOS}, until the backend is Healthy again: a site
   * whose processes restart after a power cut is back as soon as they answer, not after {@code
   * healthyThreshold} whole intervals.
   */
  static final long FAST_NANOS = 100_000_000L;

  static final long FAST_WINDOW_NANOS = 10_000_000_000L;

  private static final Logger log = LoggerFactory.getLogger(ProbeScheduler.class);

  private final Prober prober;
  private final ProbeListener listener;
  private final MeterRegistry registry;
  private final ConcurrentHashMap<ResourceKey, Loop> loops = new ConcurrentHashMap<>();
  private volatile Predicate<String> hostDead = host -> false;
  private volatile boolean closed;

  /** A scheduler without metrics. */
  public ProbeScheduler(Prober prober, ProbeListener listener) {
    this(prober, listener, null);
  }

  /**
   * @param prober runs the probes
   * @param listener told after every probe
   * @param registry where to record probe latency; null for none
   */
  public ProbeScheduler(Prober prober, ProbeListener listener, MeterRegistry registry) {
    this.prober = Objects.requireNonNull(prober, "prober");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.registry = registry;
  }

  /**
   * Makes sure {@code key} is probed as {@code target}: starts its loop, restarts it when the
   * target differs from the running one, does nothing when it is the same.
   *
   * <p>A restart on the same address and port keeps the health (state, counters, times), so
   * changing an interval or threshold does not send a backend back to Unknown; a new address or
   * port starts from Unknown since the old facts were about another endpoint.
   *
   * @return whether a loop was started or restarted
   * @throws IllegalStateException after {@link #close()}
   */
  public boolean ensure(ResourceKey key, ProbeTarget target) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(target, "target");
    if (closed) {
      throw new IllegalStateException("probe scheduler is closed");
    }
    Loop current = loops.get(key);
    if (current != null && current.target.equals(target)) {
      return false;
    }
    boolean[] started = {false};
    loops.compute(
        key,
        (k, old) -> {
          if (old != null && old.target.equals(target)) {
            return old;
          }
          HealthSnapshot carried = HealthSnapshot.unknown();
          if (old != null) {
            HealthSnapshot last = old.stop();
            if (old.target.sameEndpoint(target)) {
              carried = last;
            }
            log.debug("Restarting probes of {}: {} -> {}", k, old.target, target);
          }
          Loop loop = new Loop(k, target, carried);
          loop.start();
          started[0] = true;
          return loop;
        });
    return started[0];
  }

  /**
   * Stops probing {@code key} and forgets its health. A probe already in flight finishes but is not
   * reported.
   *
   * @return whether {@code key} was probed
   */
  public boolean remove(ResourceKey key) {
    Loop loop = loops.remove(key);
    if (loop == null) {
      return false;
    }
    loop.stop();
    loop.removeMeters();
    return true;
  }

  /** What {@code key} is probed as (address, port, check), empty when it is not probed. */
  public Optional<ProbeTarget> target(ResourceKey key) {
    return Optional.ofNullable(loops.get(key)).map(loop -> loop.target);
  }

  /** Health of {@code key}, empty when it is not probed. */
  public Optional<HealthSnapshot> snapshot(ResourceKey key) {
    Loop loop = loops.get(key);
    return loop == null ? Optional.empty() : Optional.of(loop.snapshot());
  }

  /**
   * Freezes the health of backends whose host is judged dead (the {@link HostHeartbeat}): their
   * probes are skipped, and a failure that arrives while the host is dead is not counted. A site
   * cut is the site's fault, not each backend's: when the site answers again its backends are taken
   * back on their last verdict at once ({@link #probeNow} confirms it), instead of waiting for
   * {@code healthyThreshold} probes each.
   */
  public void freezeWhile(Predicate<String> dead) {
    this.hostDead = Objects.requireNonNull(dead, "dead");
  }

  /** Probes every backend at {@code address} now (a host that answers again). */
  public void probeNow(String address) {
    for (Loop loop : loops.values()) {
      if (loop.target.address().equals(address)) {
        loop.kick();
      }
    }
  }

  /** The keys being probed, e.g. to remove the loops of deleted backends. */
  public Set<ResourceKey> keys() {
    return Set.copyOf(loops.keySet());
  }

  /**
   * Stops every loop, waits (bounded by each probe's timeout) for in-flight probes to end, and
   * closes the prober's idle connections.
   */
  @Override
  public void close() {
    closed = true;
    List<Loop> stopped = List.copyOf(loops.values());
    for (Loop loop : stopped) {
      remove(loop.key);
    }
    for (Loop loop : stopped) {
      loop.join();
    }
    prober.evictIdleConnections();
  }

  /** One backend's probe loop. */
  private final class Loop implements Runnable {
    final ResourceKey key;
    final ProbeTarget target;
    private final Prober.Prepared prepared;
    private final HealthTracker tracker;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition stopping = lock.newCondition();
    private final Timer successTimer;
    private final Timer failureTimer;
    private HealthSnapshot current;
    private boolean stopped;
    private boolean kicked;
    // After a kick (a host or port back), probe every FAST_NANOS until one probe passes, bounded.
    private long fastUntil;
    private Thread thread;

    Loop(ResourceKey key, ProbeTarget target, HealthSnapshot initial) {
      this.key = key;
      this.target = target;
      this.prepared = prober.prepare(target);
      this.tracker =
          new HealthTracker(target.check().healthyThreshold(), target.check().unhealthyThreshold());
      this.current = initial;
      this.successTimer = timer("success");
      this.failureTimer = timer("failure");
    }

    private Timer timer(String result) {
      return registry == null
          ? null
          : Timer.builder(LATENCY_METRIC)
              .description("Duration of one health probe")
              .tag("backend", key.name())
              .tag("result", result)
              .register(registry);
    }

    void start() {
      thread = Thread.ofVirtual().name("probe " + key).start(this);
    }

    @Override
    public void run() {
      long interval = Math.max(1, target.check().interval().toNanos());
      // Spread first probes so loops do not fire in lockstep, but within a quarter second at
      // most: a new backend's first verdict (and a cold start's) should not wait a whole interval.
      long spread = Math.min(interval, FIRST_PROBE_SPREAD_NANOS);
      long next = System.nanoTime() + ThreadLocalRandom.current().nextLong(spread);
      long step = Math.max(1, Math.min(WAKE_GRID_NANOS, interval / 10));
      boolean first = true;
      while (waitUntil(onGrid(next, step))) {
        if (hostDead.test(target.address())) {
          next = Math.max(next + interval, System.nanoTime());
          continue;
        }
        long started = System.nanoTime();
        ProbeResult result = probeOnce(first);
        first = false;
        long took = System.nanoTime() - started;
        HealthSnapshot before;
        HealthSnapshot after;
        lock.lock();
        try {
          if (stopped) {
            return;
          }
          if (!result.success() && hostDead.test(target.address())) {
            // The host went silent while this probe waited: the heartbeat has it covered.
            next = Math.max(next + interval, System.nanoTime());
            continue;
          }
          before = current;
          after = tracker.next(before, result);
          current = after;
        } finally {
          lock.unlock();
        }
        Timer timer = result.success() ? successTimer : failureTimer;
        if (timer != null) {
          timer.record(took, TimeUnit.NANOSECONDS);
        }
        boolean changed = after.state() != before.state();
        if (changed) {
          log.info(
              "{} is now {} ({}){}",
              key,
              after.state(),
              target,
              after.lastError() == null ? "" : ": " + after.lastError());
        }
        try {
          listener.onProbe(key, after, changed);
        } catch (RuntimeException e) {
          log.warn("Probe listener failed for {}", key, e);
        }
        // Fixed rate; a probe that overran its interval is followed at once, never overlapped.
        next = Math.max(next + interval, System.nanoTime());
        long now = System.nanoTime();
        lock.lock();
        try {
          if (result.success() && after.state() == BackendStatus.Health.State.Healthy) {
            fastUntil = 0;
          } else if (now < fastUntil) {
            next = Math.min(next, now + Math.min(interval, FAST_NANOS));
          }
        } finally {
          lock.unlock();
        }
      }
    }

    private ProbeResult probeOnce(boolean first) {
      // A first probe's timeout starts once it holds a slot: waiting for one is never a failure.
      if (first) {
        firstProbes.acquireUninterruptibly();
      }
      try {
        return prober.probe(prepared);
      } catch (RuntimeException e) {
        log.warn("Probe of {} ({}) failed unexpectedly", key, target, e);
        return ProbeResult.failure(0, "probe error: " + e, Instant.now());
      } finally {
        if (first) {
          firstProbes.release();
        }
      }
    }

    /** The first point of the {@code step} grid at or after {@code time} (System.nanoTime). */
    private static long onGrid(long time, long step) {
      long past = Math.floorMod(time, step);
      return past == 0 ? time : time + (step - past);
    }

    /** Waits until {@code deadline} (System.nanoTime); false when stopped meanwhile. */
    private boolean waitUntil(long deadline) {
      lock.lock();
      try {
        long remaining;
        while (!stopped && !kicked && (remaining = deadline - System.nanoTime()) > 0) {
          stopping.awaitNanos(remaining);
        }
        kicked = false;
        return !stopped;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } finally {
        lock.unlock();
      }
    }

    /** Ends the current wait: the next probe runs now. */
    void kick() {
      lock.lock();
      try {
        kicked = true;
        fastUntil = System.nanoTime() + FAST_WINDOW_NANOS;
        stopping.signalAll();
      } finally {
        lock.unlock();
      }
    }

    /** Stops the loop and returns its last health. */
    HealthSnapshot stop() {
      lock.lock();
      try {
        stopped = true;
        stopping.signalAll();
        return current;
      } finally {
        lock.unlock();
      }
    }

    HealthSnapshot snapshot() {
      lock.lock();
      try {
        return current;
      } finally {
        lock.unlock();
      }
    }

    void join() {
      try {
        thread.join(target.check().timeout().plusSeconds(1));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    void removeMeters() {
      if (registry != null) {
        registry.remove(successTimer);
        registry.remove(failureTimer);
      }
    }
  }
}
