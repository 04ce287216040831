package fr.acecinema.switchboard.operator;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.probe.HostHeartbeat;
import fr.acecinema.switchboard.probe.ProbeScheduler;
import fr.acecinema.switchboard.probe.SocketKiller;
import fr.acecinema.switchboard.reconciler.Router;
import fr.acecinema.switchboard.runtime.ResourceStore;
import fr.acecinema.switchboard.runtime.StandaloneRuntime;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a host's heartbeat verdict changes: its backends' Ready, every site and the router's answers
 * are enqueued at once; a dead host's connections are ended once Caddy has asked the resolver again
 * ({@code refresh} later, so a retried request cannot pick the dead host from a stale answer), and
 * twice more for requests that still did; a host answering again is probed now. A port that starts
 * refusing (its process died, the host lives) takes its backends out at once the same way.
 */
public final class HostVerdicts implements HostHeartbeat.Listener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HostVerdicts.class);

  private final ResourceStore store;
  private final StandaloneRuntime runtime;
  private final ProbeScheduler probes;
  private final SocketKiller killer;
  private final Duration refresh;
  private final boolean routing;
  private final ScheduledExecutorService kills =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().name("socket-killer").daemon().unstarted(r));
  private volatile HostHeartbeat heartbeat;
  private volatile long lastKill;

  /**
   * @param refresh how often Caddy asks the resolver again
   * @param routing whether the router's key exists to be enqueued
   */
  public HostVerdicts(
      ResourceStore store,
      StandaloneRuntime runtime,
      ProbeScheduler probes,
      SocketKiller killer,
      Duration refresh,
      boolean routing) {
    this.store = store;
    this.runtime = runtime;
    this.probes = probes;
    this.killer = killer;
    this.refresh = refresh;
    this.routing = routing;
  }

  /** The heartbeat whose dead hosts are read when connections are ended. */
  public void watching(HostHeartbeat heartbeat) {
    this.heartbeat = heartbeat;
  }

  @Override
  public void changed(String host, HostHeartbeat.Verdict before, HostHeartbeat.Verdict after) {
    for (Backend b : store.list(Backend.class, "Backend")) {
      if (host.equals(b.getSpec().address)) {
        runtime.enqueue(ResourceKey.of(b));
      }
    }
    for (Site site : store.list(Site.class, "Site")) {
      runtime.enqueue(ResourceKey.of(site));
    }
    if (routing) {
      runtime.enqueue(Router.KEY);
    }
    if (after == HostHeartbeat.Verdict.DEAD && killer.enabled()) {
      // Once Caddy has asked the resolver again; again when every cached answer has surely been
      // refreshed (a request sent to the dead host in between would wait its whole response
      // timeout: measured, 5-6 requests of 1.1-1.7 s per cut with the first kill alone); and once
      // more a second later.
      for (Duration delay :
          List.of(
              refresh.plusMillis(50),
              refresh.multipliedBy(2).plusMillis(150),
              refresh.plusSeconds(1))) {
        kills.schedule(this::killDeadHostsConnections, delay.toMillis(), TimeUnit.MILLISECONDS);
      }
    }
    if (before == HostHeartbeat.Verdict.DEAD && after == HostHeartbeat.Verdict.ALIVE) {
      probes.probeNow(host);
    }
  }

  /** A port of a live host refuses (or accepts again): its backends leave (or await a probe). */
  @Override
  public void port(String host, int port, boolean open) {
    for (Backend b : store.list(Backend.class, "Backend")) {
      if (host.equals(b.getSpec().address) && Integer.valueOf(port).equals(b.getSpec().port)) {
        runtime.enqueue(ResourceKey.of(b));
      }
    }
    if (routing) {
      runtime.enqueue(Router.KEY);
    }
    if (open) {
      probes.probeNow(host);
    }
  }

  /**
   * One {@code ss} for every host dead now: a whole site's hosts die within milliseconds of each
   * other, and one call per host would end the last host's connections hundreds of ms late.
   */
  private void killDeadHostsConnections() {
    long now = System.nanoTime();
    if (now - lastKill < TimeUnit.MILLISECONDS.toNanos(20)) {
      return; // a kill of every dead host just ran
    }
    lastKill = now;
    Set<String> dead = heartbeat.dead();
    int n = killer.kill(dead);
    if (n > 0) {
      log.info("ended {} connections to dead hosts {}", n, dead);
    }
  }

  @Override
  public void close() {
    kills.shutdownNow();
  }
}
