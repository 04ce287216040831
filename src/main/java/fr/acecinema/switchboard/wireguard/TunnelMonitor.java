package fr.acecinema.switchboard.wireguard;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.WireGuardPeer;
import fr.acecinema.switchboard.util.Durations;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls {@code wg show IF dump} for every tracked site (one read per interface per round) and keeps
 * the latest {@link TunnelVerdict} per site. The listener hears only judgement changes (up/down or
 * reason), never counter changes, so statuses are not rewritten every keepalive.
 */
public final class TunnelMonitor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TunnelMonitor.class);

  /** Told when a site's verdict changed; typically enqueues the Site. */
  @FunctionalInterface
  public interface Listener {
    void changed(ResourceKey site, TunnelVerdict verdict);
  }

  private record Tracked(String iface, String publicKey, Duration handshake, Duration traffic) {}

  private record RxMark(long rx, Instant since) {}

  private final DumpSource source;
  private final Clock clock;
  private final Duration interval;
  private final Listener listener;
  private final Map<ResourceKey, Tracked> tracked = new ConcurrentHashMap<>();
  private final Map<ResourceKey, TunnelVerdict> verdicts = new ConcurrentHashMap<>();
  private final Map<String, RxMark> rxMarks = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer;

  /**
   * @param source where dumps come from
   * @param clock time source
   * @param interval time between two polling rounds
   * @param listener told on verdict changes (from the polling thread)
   */
  public TunnelMonitor(DumpSource source, Clock clock, Duration interval, Listener listener) {
    this.source = source;
    this.clock = clock;
    this.interval = interval;
    this.listener = listener;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "wireguard-monitor");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts polling every interval. */
  public void start() {
    timer.scheduleWithFixedDelay(
        this::pollQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Tracks (or retargets) a site's peer. A new or changed peer is read at once, so the first
   * reconcile already has a verdict.
   *
   * @throws IllegalArgumentException when a timeout is not a duration
   */
  public void track(ResourceKey site, WireGuardPeer peer) {
    Tracked next =
        new Tracked(
            peer.interfaceName,
            peer.publicKey,
            peer.handshakeTimeout == null
                ? Duration.ofSeconds(180)
                : Durations.parse(peer.handshakeTimeout),
            peer.trafficTimeout == null ? null : Durations.parse(peer.trafficTimeout));
    Tracked previous = tracked.put(site, next);
    if (!next.equals(previous)) {
      verdicts.remove(site);
      poll(List.of(site), false);
    }
  }

  /** Stops tracking a site (deleted, or no longer declaring a peer). */
  public void untrack(ResourceKey site) {
    Tracked t = tracked.remove(site);
    verdicts.remove(site);
    if (t != null) {
      rxMarks.remove(t.iface + "/" + t.publicKey);
    }
  }

  /** The latest verdict, empty when the site is not tracked. */
  public Optional<TunnelVerdict> verdict(ResourceKey site) {
    return Optional.ofNullable(verdicts.get(site));
  }

  /** One polling round over every tracked site; notifies the listener of changes. */
  public void pollOnce() {
    poll(List.copyOf(tracked.keySet()), true);
  }

  private void pollQuietly() {
    try {
      pollOnce();
    } catch (RuntimeException e) {
      log.warn("wireguard polling failed: {}", e.toString());
    }
  }

  private synchronized void poll(List<ResourceKey> sites, boolean notify) {
    Map<String, Optional<WgDump>> dumps = new HashMap<>();
    Map<String, String> errors = new HashMap<>();
    for (ResourceKey site : sites) {
      Tracked t = tracked.get(site);
      if (t == null) {
        continue;
      }
      Optional<WgDump> dump =
          dumps.computeIfAbsent(
              t.iface,
              i -> {
                try {
                  return Optional.of(source.dump(i));
                } catch (WireGuardException e) {
                  errors.put(i, e.getMessage());
                  return Optional.empty();
                }
              });
      Instant now = clock.instant();
      Instant rxSince = rxSince(t, dump, now);
      TunnelVerdict verdict =
          TunnelJudge.judge(
              dump,
              errors.get(t.iface),
              t.iface,
              t.publicKey,
              now,
              t.handshake,
              t.traffic,
              rxSince);
      TunnelVerdict previous = verdicts.put(site, verdict);
      if (!verdict.sameJudgement(previous)) {
        log.info(
            "site {}: tunnel {} ({})",
            site.name(),
            verdict.up() ? "up" : "down",
            verdict.message());
        if (notify) {
          listener.changed(site, verdict);
        }
      }
    }
  }

  private Instant rxSince(Tracked t, Optional<WgDump> dump, Instant now) {
    String key = t.iface + "/" + t.publicKey;
    Optional<WgDump.Peer> peer = dump.flatMap(d -> d.peer(t.publicKey));
    if (peer.isEmpty()) {
      return null;
    }
    long rx = peer.get().rxBytes();
    RxMark mark = rxMarks.compute(key, (k, m) -> m == null || m.rx != rx ? new RxMark(rx, now) : m);
    return mark.since;
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
