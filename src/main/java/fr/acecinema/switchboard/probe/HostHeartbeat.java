package fr.acecinema.switchboard.probe;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One cheap liveness signal per machine (adapter): every {@code interval}, a TCP connection attempt
 * to each backend host (one port of it). Any answer — the connection opens, or the host refuses it
 * — proves the host and the path to it (its site's WireGuard tunnel) are alive. Silence does not.
 *
 * <p>Why not the health checks: they run per backend at the service's own interval (2 s by
 * default), so how fast a dead site is noticed would depend on how each service was tuned. A silent
 * cut (a site's link or power lost) is what costs requests, since nothing refuses them: they wait.
 * This signal is independent of the services, costs one SYN per host per interval, and needs no
 * agent on the site.
 *
 * <p>Each attempt goes to the next of the host's backend ports in turn, so a refusing port (the
 * host lives, nothing listens: a process that died or restarts) is known within a few intervals too
 * ({@link #refused}), without a health check of its own.
 *
 * <p>Verdicts, per host: {@link Verdict#UNKNOWN} until the host has answered once (a host that
 * never answers — a firewall dropping the probe — is never judged by this signal); {@link
 * Verdict#ALIVE} on any answer; {@link Verdict#DEAD} when the {@code misses} most recent attempts,
 * all sent after the last answered one, went unanswered for {@code timeout} each. Answers are
 * collected before expiries are judged, so a hub too busy to run this thread on time never mistakes
 * its own delay for the host's silence. Listeners hear verdict changes only.
 */
public final class HostHeartbeat implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HostHeartbeat.class);

  /** What the signal says of a host. */
  public enum Verdict {
    /** Never answered yet: this signal says nothing. */
    UNKNOWN,
    /** Answered recently. */
    ALIVE,
    /** Answered before, silent now. */
    DEAD
  }

  /** Hears verdict changes (on the heartbeat thread: enqueue, do not block). */
  @FunctionalInterface
  public interface Listener {
    void changed(String host, Verdict before, Verdict after);

    /** A port of a live host started refusing connections ({@code open} false), or reopened. */
    default void port(String host, int port, boolean open) {}
  }

  private final Duration interval;
  private final Duration timeout;
  private final int misses;
  private final Listener listener;
  private final Selector selector;
  private final Thread thread;
  // host -> (owner key -> port): one verdict per machine, whatever its number of backends; its
  // attempts go to its distinct ports in turn.
  private final Map<String, Map<String, Integer>> owners = new ConcurrentHashMap<>();
  private final Map<String, HostState> hosts = new HashMap<>();
  private final Map<String, Verdict> verdicts = new ConcurrentHashMap<>();
  // "host:port" of ports that refused their last attempt
  private final Set<String> refusing = ConcurrentHashMap.newKeySet();
  // "host" or "host:port" -> when it answered (or accepted) again after being dead (or refusing)
  private final Map<String, Instant> resumed = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param interval time between two attempts to one host
   * @param timeout how long one attempt may wait for an answer
   * @param misses consecutive unanswered attempts that make an answering host dead
   */
  public HostHeartbeat(Duration interval, Duration timeout, int misses, Listener listener)
      throws IOException {
    if (interval.isNegative() || interval.isZero() || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("heartbeat interval and timeout must be positive");
    }
    if (misses < 1) {
      throw new IllegalArgumentException("heartbeat misses must be at least 1");
    }
    this.interval = interval;
    this.timeout = timeout;
    this.misses = misses;
    this.listener = listener;
    this.selector = Selector.open();
    this.thread = Thread.ofPlatform().name("host-heartbeat").daemon().unstarted(this::run);
  }

  public HostHeartbeat start() {
    thread.start();
    return this;
  }

  /** Probes {@code host} (at least on {@code port}) on behalf of {@code owner}. Idempotent. */
  public void track(String owner, String host, int port) {
    owners.compute(
        host,
        (h, ports) -> {
          Map<String, Integer> next = ports == null ? new TreeMap<>() : new TreeMap<>(ports);
          next.put(owner, port);
          return next;
        });
    // Another host may have been tracked for this owner before (an address change).
    owners.forEach(
        (h, ports) -> {
          if (!h.equals(host) && ports.containsKey(owner)) {
            untrack(owner, h);
          }
        });
  }

  /** Stops probing {@code host} for {@code owner}; the host is dropped with its last owner. */
  public void untrack(String owner) {
    owners.keySet().forEach(h -> untrack(owner, h));
  }

  private void untrack(String owner, String host) {
    owners.computeIfPresent(
        host,
        (h, ports) -> {
          Map<String, Integer> next = new TreeMap<>(ports);
          next.remove(owner);
          return next.isEmpty() ? null : next;
        });
  }

  /** The current verdict of a host; UNKNOWN for a host not tracked. */
  public Verdict verdict(String host) {
    return verdicts.getOrDefault(host, Verdict.UNKNOWN);
  }

  /** Whether {@code port} of {@code host} refused its last heartbeat (nothing listens there). */
  public boolean refused(String host, int port) {
    return refusing.contains(host + ":" + port);
  }

  /**
   * When the host last came back from dead, or this port last accepted again after refusing; empty
   * if neither ever happened. A backend's health from before that moment says nothing.
   */
  public Optional<Instant> resumedAt(String host, int port) {
    Instant h = resumed.get(host);
    Instant p = resumed.get(host + ":" + port);
    if (h == null) {
      return Optional.ofNullable(p);
    }
    return Optional.of(p == null || h.isAfter(p) ? h : p);
  }

  /** Hosts judged dead now. */
  public Set<String> dead() {
    return verdicts.entrySet().stream()
        .filter(e -> e.getValue() == Verdict.DEAD)
        .map(Map.Entry::getKey)
        .collect(java.util.stream.Collectors.toUnmodifiableSet());
  }

  private static final class Attempt {
    final long sentAt;
    final SocketChannel channel;
    final int port;
    boolean done;

    Attempt(long sentAt, SocketChannel channel, int port) {
      this.sentAt = sentAt;
      this.channel = channel;
      this.port = port;
    }
  }

  private static final class HostState {
    long nextAt;
    long lastAnsweredSentAt = Long.MIN_VALUE;
    boolean everAnswered;
    int missed;
    int turn;
    final Deque<Attempt> pending = new ArrayDeque<>();
    // Smoothed round trip and its variation (RFC 6298's estimator), in nanoseconds.
    double srtt = -1;
    double rttvar;

    void sample(long rtt) {
      if (srtt < 0) {
        srtt = rtt;
        rttvar = rtt / 2.0;
      } else {
        rttvar = 0.75 * rttvar + 0.25 * Math.abs(srtt - rtt);
        srtt = 0.875 * srtt + 0.125 * rtt;
      }
    }

    /**
     * The configured timeout, or more when this host's round trips have grown (a loaded hub or
     * site, a slow link): silence is judged against what this host usually takes, as TCP does,
     * never less than configured and never more than {@link #MAX_TIMEOUT_NANOS}.
     */
    long timeoutNanos(Duration configured) {
      long adaptive = srtt < 0 ? 0 : (long) (srtt + 4 * rttvar);
      return Math.min(MAX_TIMEOUT_NANOS, Math.max(configured.toNanos(), adaptive));
    }
  }

  /** The longest an attempt waits however slow the host has been: 1 s. */
  static final long MAX_TIMEOUT_NANOS = 1_000_000_000L;

  private void run() {
    long step = interval.toNanos();
    try {
      while (!closed) {
        long now = System.nanoTime();
        long wake = now + step;
        for (HostState s : hosts.values()) {
          wake = Math.min(wake, s.nextAt);
          for (Attempt a : s.pending) {
            wake = Math.min(wake, a.sentAt + s.timeoutNanos(timeout));
          }
        }
        long waitMillis = Math.max(1, (wake - now + 999_999) / 1_000_000);
        selector.select(waitMillis);
        // Answers first, then expiries: a late wake-up must not read as the host's silence.
        collectAnswers();
        judgeExpiries(System.nanoTime());
        syncHosts();
        sendDue(System.nanoTime());
      }
    } catch (IOException | RuntimeException e) {
      if (!closed) {
        log.error("host heartbeat stopped: {}", e.toString(), e);
      }
    }
  }

  private void collectAnswers() {
    Iterator<SelectionKey> it = selector.selectedKeys().iterator();
    while (it.hasNext()) {
      SelectionKey key = it.next();
      it.remove();
      Object[] att = (Object[]) key.attachment();
      String host = (String) att[0];
      Attempt a = (Attempt) att[1];
      boolean answered;
      boolean accepted = false;
      try {
        answered = a.channel.finishConnect();
        accepted = answered;
      } catch (ConnectException e) {
        // Refused: the host's kernel answered (RST), so the host and the path are alive.
        answered = e.getMessage() != null && e.getMessage().toLowerCase().contains("refused");
      } catch (IOException e) {
        answered = false;
      }
      close(a);
      HostState s = hosts.get(host);
      if (s == null) {
        continue;
      }
      if (answered) {
        s.sample(System.nanoTime() - a.sentAt);
        if (a.sentAt > s.lastAnsweredSentAt) {
          s.lastAnsweredSentAt = a.sentAt;
        }
        s.everAnswered = true;
        s.missed = 0;
        s.pending.removeIf(p -> p.done && p.sentAt <= a.sentAt);
        set(host, Verdict.ALIVE);
        port(host, a.port, accepted);
      } else {
        // An immediate local error (no route, unreachable): counts as a miss now.
        a.done = true;
        miss(host, s, a);
      }
    }
  }

  private void judgeExpiries(long now) {
    for (Map.Entry<String, HostState> e : hosts.entrySet()) {
      HostState s = e.getValue();
      for (Attempt a : s.pending) {
        if (!a.done && now - a.sentAt >= s.timeoutNanos(timeout)) {
          a.done = true;
          close(a);
          miss(e.getKey(), s, a);
        }
      }
      s.pending.removeIf(a -> a.done);
    }
  }

  private void miss(String host, HostState s, Attempt a) {
    if (a.sentAt <= s.lastAnsweredSentAt) {
      return; // a later attempt already answered: this one was only lost
    }
    s.missed++;
    if (s.everAnswered && s.missed >= misses) {
      set(host, Verdict.DEAD);
    }
  }

  private void syncHosts() {
    for (String host : owners.keySet()) {
      hosts.computeIfAbsent(
          host,
          h -> {
            HostState s = new HostState();
            s.nextAt = System.nanoTime();
            return s;
          });
    }
    Iterator<Map.Entry<String, HostState>> it = hosts.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, HostState> e = it.next();
      if (!owners.containsKey(e.getKey())) {
        e.getValue().pending.forEach(this::close);
        it.remove();
        String gone = e.getKey();
        refusing.removeIf(k -> k.startsWith(gone + ":"));
        resumed.keySet().removeIf(k -> k.equals(gone) || k.startsWith(gone + ":"));
        Verdict before = verdicts.remove(e.getKey());
        if (before != null && before != Verdict.UNKNOWN) {
          notify(e.getKey(), before, Verdict.UNKNOWN);
        }
      }
    }
  }

  private void sendDue(long now) {
    for (Map.Entry<String, HostState> e : hosts.entrySet()) {
      HostState s = e.getValue();
      if (now < s.nextAt) {
        continue;
      }
      s.nextAt = Math.max(s.nextAt + interval.toNanos(), now);
      Map<String, Integer> ports = owners.get(e.getKey());
      if (ports == null || ports.isEmpty()) {
        continue;
      }
      int[] distinct =
          ports.values().stream().mapToInt(Integer::intValue).distinct().sorted().toArray();
      int port = distinct[Math.floorMod(s.turn++, distinct.length)];
      SocketChannel ch = null;
      try {
        ch = SocketChannel.open();
        ch.configureBlocking(false);
        Attempt a = new Attempt(System.nanoTime(), ch, port);
        if (ch.connect(new InetSocketAddress(e.getKey(), port))) {
          close(a);
          s.lastAnsweredSentAt = a.sentAt;
          s.everAnswered = true;
          s.missed = 0;
          set(e.getKey(), Verdict.ALIVE);
          port(e.getKey(), port, true);
          continue;
        }
        ch.register(selector, SelectionKey.OP_CONNECT, new Object[] {e.getKey(), a});
        s.pending.add(a);
      } catch (IOException ex) {
        if (ch != null) {
          try {
            ch.close();
          } catch (IOException ignored) {
            // nothing to release
          }
        }
        Attempt failed = new Attempt(System.nanoTime(), null, port);
        failed.done = true;
        miss(e.getKey(), s, failed);
      }
    }
  }

  private void set(String host, Verdict after) {
    Verdict before = verdicts.getOrDefault(host, Verdict.UNKNOWN);
    if (before == after) {
      return;
    }
    verdicts.put(host, after);
    if (before == Verdict.DEAD) {
      resumed.put(host, Instant.now());
    }
    if (after == Verdict.DEAD || before == Verdict.DEAD) {
      log.info("host {} is now {} (heartbeat)", host, after);
    }
    notify(host, before, after);
  }

  private void port(String host, int port, boolean open) {
    String key = host + ":" + port;
    boolean changed = open ? refusing.remove(key) : refusing.add(key);
    if (!changed) {
      return;
    }
    if (open) {
      resumed.put(key, Instant.now());
    }
    log.info("{} {} (heartbeat)", key, open ? "accepts connections again" : "refuses connections");
    try {
      listener.port(host, port, open);
    } catch (RuntimeException e) {
      log.warn("heartbeat listener failed for {}: {}", key, e.toString());
    }
  }

  private void notify(String host, Verdict before, Verdict after) {
    try {
      listener.changed(host, before, after);
    } catch (RuntimeException e) {
      log.warn("heartbeat listener failed for {}: {}", host, e.toString());
    }
  }

  private void close(Attempt a) {
    if (a.channel == null) {
      return;
    }
    try {
      a.channel.close();
    } catch (IOException e) {
      // closing a socket that never connected: nothing to release
    }
  }

  @Override
  public void close() {
    closed = true;
    selector.wakeup();
    try {
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (HostState s : hosts.values()) {
      s.pending.forEach(this::close);
    }
    try {
      selector.close();
    } catch (IOException e) {
      log.debug("closing the heartbeat selector: {}", e.toString());
    }
  }
}
