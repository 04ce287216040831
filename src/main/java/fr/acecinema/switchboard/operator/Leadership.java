package fr.acecinema.switchboard.operator;

import fr.acecinema.switchboard.postgres.Fence;
import fr.acecinema.switchboard.postgres.LeaseTable;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this hub leads the fleet: holds the {@code leases} row of the shared database (two hubs,
 * one PostgreSQL). What must happen once per fleet (status write-back, records, webhooks,
 * Deployment decisions) asks {@link #term()} first; routing and probing never do, each hub
 * converges its own Caddy from what it sees.
 *
 * <p>Timing. The hub asks for the lease every {@code renewEvery} (a fifth of the lease) on a
 * connection of its own. It counts itself leader until the start of its last successful request
 * plus the lease less a margin (a tenth, at least 500 ms), by its own monotonic clock: that is
 * before the database's expiry (counted from the request's arrival), whatever the clocks say, so
 * the two hubs never both count themselves leader. Another hub takes the lease at its first request
 * after the expiry: at most one lease plus one {@code renewEvery} after the leader's last renewal.
 * A hub stopping releases the lease (the other takes over at its next request). A write to the
 * database carries the term's epoch ({@link #fence()}, checked by {@link LeaseTable#hold}), so a
 * leader deposed while its request was in flight writes nothing.
 */
public final class Leadership implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Leadership.class);

  /** What a leader's writes carry: who it is and the epoch of its lease. */
  public record Term(String hub, long epoch) {}

  /** Opens the lease's own connection. */
  @FunctionalInterface
  public interface Connector {
    Connection connect() throws SQLException;
  }

  /** A monotonic clock (tests drive their own). */
  @FunctionalInterface
  public interface Ticker {
    long nanoTime();

    Ticker SYSTEM = System::nanoTime;
  }

  private final Connector connector;
  private final String hub;
  private final Duration lease;
  private final Duration renewEvery;
  private final Duration margin;
  private final Ticker ticker;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final Object sleeper = new Object();
  private Connection connection;
  private Thread thread;
  private volatile boolean closed;
  // Leading while held and the monotonic clock is before validUntil.
  private volatile boolean held;
  private volatile long validUntil;
  private volatile long epoch;
  private volatile String leader;
  private volatile boolean announced;

  /**
   * @param hub this hub's name, unique among the fleet's hubs
   * @param lease how long a lease runs without renewal
   */
  public Leadership(Connector connector, String hub, Duration lease, Ticker ticker) {
    if (lease.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("a lease shorter than 1s leaves no room for a renewal");
    }
    this.connector = connector;
    this.hub = hub;
    this.lease = lease;
    this.renewEvery = lease.dividedBy(5);
    Duration tenth = lease.dividedBy(10);
    this.margin = tenth.compareTo(Duration.ofMillis(500)) < 0 ? Duration.ofMillis(500) : tenth;
    this.ticker = ticker;
  }

  /** This hub's name. */
  public String hub() {
    return hub;
  }

  /** How often the lease is asked for. */
  public Duration renewEvery() {
    return renewEvery;
  }

  /** Told (on the lease's thread) when this hub starts or stops leading. */
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  /** Asks for the lease now and every {@link #renewEvery()} on a thread of its own. */
  public synchronized void start() {
    if (thread != null) {
      return;
    }
    thread =
        Thread.ofPlatform()
            .name("leader-lease")
            .daemon(true)
            .start(
                () -> {
                  while (!closed) {
                    step();
                    pause(renewEvery);
                  }
                });
  }

  /** One request for the lease; what the thread does every {@link #renewEvery()}. */
  void step() {
    long asked = ticker.nanoTime();
    try {
      if (connection == null) {
        connection = connector.connect();
      }
      LeaseTable.Attempt a = LeaseTable.acquire(connection, LeaseTable.FLEET, hub, lease);
      if (a.held()) {
        if (a.epoch() != epoch || !leading()) {
          log.info("this hub ({}) leads the fleet (epoch {})", hub, a.epoch());
        }
        epoch = a.epoch();
        validUntil = asked + lease.minus(margin).toNanos();
        held = true;
      } else {
        held = false;
      }
      leader = a.holder();
    } catch (SQLException | RuntimeException e) {
      // Leading ends by itself at validUntil: nothing to undo here, only a connection to drop.
      log.debug("cannot renew the fleet's lease: {}", e.toString());
      dropConnection();
    }
    announce();
  }

  /** Whether this hub leads now (by its own clock, never past the database's expiry). */
  public boolean leading() {
    return held && ticker.nanoTime() - validUntil < 0;
  }

  /** The term to write under, while this hub leads. */
  public Optional<Term> term() {
    return leading() ? Optional.of(new Term(hub, epoch)) : Optional.empty();
  }

  /**
   * The fence of this hub's writes as leader: checked in each write's own transaction against the
   * lease row, so a write of a term that ended changes nothing.
   */
  public Fence fence() {
    return c -> {
      Term t =
          term()
              .orElseThrow(
                  () ->
                      new Fence.DeposedException(
                          hub + " does not lead the fleet (its lease ran out)"));
      LeaseTable.hold(c, LeaseTable.FLEET, t.hub(), t.epoch());
    };
  }

  /** The hub that held the lease at the last request (this one or another); null before any. */
  public String leader() {
    return leading() ? hub : leader;
  }

  /** Tells the listeners when leading changed since they were last told. */
  private void announce() {
    boolean now = leading();
    if (now != announced) {
      announced = now;
      if (!now) {
        log.warn("this hub ({}) no longer leads the fleet (the leader is {})", hub, leader);
      }
      listeners.forEach(Runnable::run);
    }
  }

  private void pause(Duration d) {
    synchronized (sleeper) {
      if (closed) {
        return;
      }
      // Wake for the end of a term too, so the listeners hear of it on time.
      long toEnd = validUntil - ticker.nanoTime();
      long wait = leading() && toEnd < d.toNanos() ? toEnd : d.toNanos();
      try {
        sleeper.wait(Math.max(1, wait / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        closed = true;
      }
    }
  }

  private void dropConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // already broken
      }
      connection = null;
    }
  }

  /** Stops asking and, if this hub leads, hands the lease over at once. */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      closed = true;
      t = thread;
    }
    synchronized (sleeper) {
      sleeper.notifyAll();
    }
    if (t != null) {
      try {
        t.join(lease.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (leading() && connection != null && (t == null || !t.isAlive())) {
      try {
        LeaseTable.release(connection, LeaseTable.FLEET, hub, epoch);
        log.info("this hub ({}) handed the fleet's lease over", hub);
      } catch (SQLException e) {
        log.warn("could not hand the fleet's lease over: {}; it runs out by itself", e.toString());
      }
    }
    held = false;
    dropConnection();
  }

  /** Stops asking without handing over, as a hub killed does (tests). */
  void halt() {
    synchronized (this) {
      closed = true;
    }
    synchronized (sleeper) {
      sleeper.notifyAll();
    }
  }
}
