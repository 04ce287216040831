package fr.acecinema.switchboard.reconciler;

import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.BACKENDS_READY;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.HEALTHY;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.HOST_UNREACHABLE;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.NO_BACKENDS;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.NO_HEALTHY_BACKENDS;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.PORT_CLOSED;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.READY;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.SITE_MAINTENANCE;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.TUNNEL_DOWN;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.TUNNEL_PENDING;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.TUNNEL_UP;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.UNREACHABLE;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.WG_UNAVAILABLE;

import fr.acecinema.switchboard.agent.AgentRegistry;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.api.v1alpha1.SiteStatus;
import fr.acecinema.switchboard.probe.HostHeartbeat;
import fr.acecinema.switchboard.runtime.Controller;
import fr.acecinema.switchboard.wireguard.TunnelMonitor;
import fr.acecinema.switchboard.wireguard.TunnelVerdict;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Reconciles a Site: counts its healthy backends and judges whether the site can serve.
 *
 * <p>Owns: the site's entry in the {@link TunnelMonitor} when it declares {@code spec.wireguard}
 * (tracked here, untracked by {@link #cleanup} or when the peer is removed). Conditions: {@code
 * Accepted}; {@code TunnelUp} (only with a declared peer) — {@code HandshakeRecent}, or {@code
 * HandshakeStale}, {@code NoHandshake}, {@code TrafficStalled}, {@code PeerNotFound}, {@code
 * WgUnavailable} (Unknown: not knowing does not take a site down)}; {@code Ready} — True when at
 * least one backend is healthy, not taken out by the heartbeat, and the tunnel (if declared) is up
 * ({@code BackendsReady}), else {@code SiteMaintenance}, {@code NoBackends}, {@code TunnelDown} (a
 * site judged down: the router takes all its backends out at once), {@code Unreachable} (every
 * backend's host stopped answering the heartbeat, see {@code probe.HostHeartbeat}, and its status
 * says so), {@code NoHealthyBackends}; {@code AgentConnected} (only for a site that runs an agent,
 * see {@link AgentVerdict}) — {@code Heartbeating}, {@code HeartbeatMissed} (a warning: Ready does
 * not depend on it), {@code AwaitingHeartbeat}, with {@code status.agent}. With hubs sharing the
 * fleet, {@code status.hubs} holds every hub's {@code Ready} ({@link HubViewSource}). Requeue:
 * while its agent is connected, when a missed heartbeat would turn it False; otherwise none:
 * backend changes, tunnel verdict changes (the monitor's listener), agent reports, a change of
 * another hub's view and the runtime's resync enqueue it.
 *
 * <p>Router contract: a backend takes traffic only while its site's tunnel is not judged down and
 * its host answers the heartbeat; the router reads both directly, not this condition.
 */
public final class SiteReconciler implements Reconciler<Site>, Cleaner<Site> {
  private final Clock clock;
  private HubViewSource hubViews = HubViewSource.NONE;
  private final TunnelMonitor tunnels;
  private final HostHeartbeat heartbeat;
  private final AgentRegistry agents;
  private final Duration agentRefresh;

  /** Without tunnel monitoring or heartbeat: a declared peer gets TunnelUp Unknown. */
  /**
   * Puts what every hub sees into {@code status.hubs} (hubs sharing a fleet); a change of another
   * hub's view enqueues the site.
   */
  public SiteReconciler withHubViews(HubViewSource views) {
    this.hubViews = views;
    return this;
  }

  public SiteReconciler(Clock clock) {
    this(clock, null, null);
  }

  /**
   * @param clock time source
   * @param tunnels the WireGuard monitor, null when {@code wg} is not available on this hub
   * @param heartbeat the host heartbeat, null for none
   */
  public SiteReconciler(Clock clock, TunnelMonitor tunnels, HostHeartbeat heartbeat) {
    this(clock, tunnels, heartbeat, null, Duration.ofSeconds(30));
  }

  /**
   * @param agents the sites' agents' last reports, null when the hub tracks none
   * @param agentRefresh how old {@code status.agent.lastHeartbeat} may get when nothing else of the
   *     agent changed (a heartbeat every few seconds must not rewrite the manifest each time)
   */
  public SiteReconciler(
      Clock clock,
      TunnelMonitor tunnels,
      HostHeartbeat heartbeat,
      AgentRegistry agents,
      Duration agentRefresh) {
    this.clock = clock;
    this.tunnels = tunnels;
    this.heartbeat = heartbeat;
    this.agents = agents;
    this.agentRefresh = agentRefresh;
  }

  /**
   * What it reads (JOSDK's {@code prepareEventSources}): its backends as secondaries; any change of
   * a backend (spec or status) enqueues its site. Tunnel verdicts are enqueued by the {@link
   * TunnelMonitor}'s listener, host verdicts by the heartbeat's.
   */
  public Controller<Site> controller() {
    return new Controller<>("Site", Site.class, this)
        .secondary(
            Backend.class,
            (site, s) ->
                Indexes.backends(s, Indexes.BACKENDS_BY_SITE, site.getMetadata().getName()))
        .watch("Backend", (b, s) -> Set.of(new ResourceKey("Site", ((Backend) b).getSpec().site)));
  }

  @Override
  public UpdateControl<Site> reconcile(Site site, Context<Site> context) {
    Set<Backend> backends = context.getSecondaryResources(Backend.class);
    SiteStatus status = site.getStatus() == null ? new SiteStatus() : site.getStatus();
    site.setStatus(status);
    var now = clock.instant();
    int healthy =
        (int) backends.stream().filter(b -> Conditions.isTrue(b.getStatus(), HEALTHY)).count();
    // Healthy but taken out by the heartbeat (port closed, host silent) does not keep a site up:
    // the site goes down after, and comes back after, what its backends' statuses say.
    int usable =
        (int)
            backends.stream()
                .filter(b -> Conditions.isTrue(b.getStatus(), HEALTHY) && !heartbeatOut(b))
                .count();
    int total = backends.size();
    status.backends = new SiteStatus.BackendCount(healthy, total);
    status.observedGeneration = Conditions.generation(site);

    var conditions = Conditions.on(status, site, now);
    conditions.accepted();
    Optional<TunnelVerdict> tunnel = tunnel(site, status, now);
    if (site.getSpec().inMaintenance()) {
      conditions.set(
          READY,
          false,
          SITE_MAINTENANCE,
          "spec.maintenance is true: backends are probed but take no traffic ("
              + healthy
              + "/"
              + total
              + " healthy)");
    } else if (total == 0) {
      conditions.set(
          READY,
          false,
          NO_BACKENDS,
          "no Backend declares spec.site: " + site.getMetadata().getName());
    } else if (tunnel.isPresent() && !tunnel.get().up()) {
      conditions.set(
          READY,
          false,
          TUNNEL_DOWN,
          "tunnel down ("
              + tunnel.get().reason()
              + ": "
              + tunnel.get().message()
              + "): all "
              + total
              + " backends leave rotation");
    } else if (heartbeat != null && backends.stream().allMatch(this::outByHeartbeat)) {
      conditions.set(
          READY,
          false,
          UNREACHABLE,
          "no host of the site's "
              + total
              + " backends answers the heartbeat: all leave rotation until one answers");
    } else if (usable == 0) {
      conditions.set(
          READY,
          false,
          NO_HEALTHY_BACKENDS,
          healthy == 0
              ? "none of " + total + " backends is healthy"
              : "none of "
                  + total
                  + " backends is healthy and answers the heartbeat (port closed or host silent)");
    } else {
      conditions.set(READY, true, BACKENDS_READY, healthy + " of " + total + " backends healthy");
    }
    Optional<Duration> lookAgain = AgentVerdict.apply(site, status, agents, now, agentRefresh);
    status.hubs =
        hubViews.views("Site", site.getMetadata().getName(), status.condition(READY).orElse(null));
    UpdateControl<Site> control = UpdateControl.patchStatus(site);
    return lookAgain.map(d -> control.rescheduleAfter(d.toMillis())).orElse(control);
  }

  /**
   * A backend the heartbeat took out, as its own status already says: its host is dead and it is no
   * longer Ready, or it is still marked unreachable though its host answers again. Reading the
   * backend's status, not only the heartbeat, keeps cause before effect: the site goes Unreachable
   * after its backends' Ready went False, and back after one of them is Ready again (see
   * notify.Transitions).
   */
  private boolean outByHeartbeat(Backend b) {
    if (Conditions.isTrue(b.getStatus(), READY)) {
      return false;
    }
    return heartbeat.verdict(b.getSpec().address) == HostHeartbeat.Verdict.DEAD
        || readyReason(b, HOST_UNREACHABLE);
  }

  /** Its status says the heartbeat took it out: Ready False, HostUnreachable or PortClosed. */
  private static boolean heartbeatOut(Backend b) {
    return readyReason(b, HOST_UNREACHABLE) || readyReason(b, PORT_CLOSED);
  }

  private static boolean readyReason(Backend b, String reason) {
    return b.getStatus() != null
        && b.getStatus()
            .condition(READY)
            .map(c -> Condition.FALSE.equals(c.status) && reason.equals(c.reason))
            .orElse(false);
  }

  /** Tracks the declared peer and writes TunnelUp and status.tunnel; empty without a verdict. */
  private Optional<TunnelVerdict> tunnel(Site site, SiteStatus status, Instant now) {
    ResourceKey key = ResourceKey.of(site);
    if (site.getSpec().wireguard == null) {
      if (tunnels != null) {
        tunnels.untrack(key);
      }
      status.tunnel = null;
      status.conditions.removeIf(c -> TUNNEL_UP.equals(c.type));
      return Optional.empty();
    }
    var conditions = Conditions.on(status, site, now);
    if (tunnels == null) {
      conditions.unknown(
          TUNNEL_UP,
          WG_UNAVAILABLE,
          "WireGuard monitoring is off on this hub; the tunnel is not judged");
      return Optional.empty();
    }
    try {
      tunnels.track(key, site.getSpec().wireguard);
    } catch (IllegalArgumentException e) {
      conditions.unknown(TUNNEL_UP, WG_UNAVAILABLE, "spec.wireguard: " + e.getMessage());
      return Optional.empty();
    }
    Optional<TunnelVerdict> verdict = tunnels.verdict(key);
    if (verdict.isEmpty()) {
      conditions.unknown(TUNNEL_UP, TUNNEL_PENDING, "not read yet");
      return verdict;
    }
    TunnelVerdict v = verdict.get();
    if (WG_UNAVAILABLE.equals(v.reason())) {
      // Not knowing is not "down": a missing or broken wg must not take a whole site out.
      conditions.unknown(TUNNEL_UP, v.reason(), v.message());
      return Optional.empty();
    }
    conditions.set(TUNNEL_UP, v.up(), v.reason(), v.message());
    SiteStatus.TunnelStatus t = new SiteStatus.TunnelStatus();
    t.latestHandshake = v.latestHandshake() == null ? null : v.latestHandshake().toString();
    t.rxBytes = v.rxBytes();
    t.txBytes = v.txBytes();
    status.tunnel = t;
    return verdict;
  }

  @Override
  public DeleteControl cleanup(Site site, Context<Site> context) {
    if (tunnels != null) {
      tunnels.untrack(ResourceKey.of(site));
    }
    return DeleteControl.defaultDelete();
  }
}
