package fr.acecinema.switchboard.reconciler;

import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.HEALTHY;
import static fr.acecinema.switchboard.api.v1alpha1.ConditionTypes.TUNNEL_UP;

import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.ResolvedHealthCheck;
import fr.acecinema.switchboard.api.v1alpha1.Service;
import fr.acecinema.switchboard.api.v1alpha1.ServiceSpec;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.caddy.Candidate;
import fr.acecinema.switchboard.caddy.RoutedService;
import fr.acecinema.switchboard.caddy.Tier;
import fr.acecinema.switchboard.caddy.TierPlanner;
import fr.acecinema.switchboard.caddy.Upstream;
import fr.acecinema.switchboard.validation.Subnets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Decides which backends Caddy routes to (pure). A backend is <em>routable</em> when its site and
 * service exist, its address is in its site's subnet, it is not draining and its site is not in
 * maintenance and its site's tunnel is not judged down; it is <em>eligible</em> when it is also
 * healthy. A routable backend that was routed and has just failed its health check is <em>held</em>
 * for {@code removalDelay}: Caddy's own active and passive checks already keep traffic off it, and
 * removing it at once would cost a reload that cancels requests waiting to retry (docs/caddy.md).
 * Tiers are planned over eligible and held backends; a tier without one eligible backend is
 * dropped, so a whole dead best tier is switched at once — unless no tier has an eligible backend:
 * then the held ones stay routed until their delay expires (dropping them would only answer 503).
 */
public final class RoutePlanner {
  private RoutePlanner() {}

  /** What a backend is to the router. */
  public enum Eligibility {
    /** Routable and healthy: takes traffic. */
    ELIGIBLE,
    /** Routed, just failed its health check: kept until {@code removalDelay} has passed. */
    HELD,
    /** Not routed. */
    OUT
  }

  /**
   * The routing decided for a fleet.
   *
   * @param services every valid Service as Caddy should route it, sorted by name
   * @param routedBackends names of the backends present in {@code services}
   * @param unreadySince when each routable, unhealthy backend was first seen so (carry it into the
   *     next call)
   * @param nextChange when a held backend's delay expires, the moment to plan again
   * @param invalid services that cannot be routed, with the reason (name → message)
   */
  public record Plan(
      List<RoutedService> services,
      Set<String> routedBackends,
      Map<String, Instant> unreadySince,
      Optional<Instant> nextChange,
      Map<String, String> invalid) {}

  /** Healthy according to the backend's last status: its {@code Healthy} condition is True. */
  public static boolean healthy(Backend b) {
    return Conditions.isTrue(b.getStatus(), HEALTHY);
  }

  /**
   * Plans the routes of a whole fleet.
   *
   * @param routedBefore backends in the config Caddy runs now (held backends must be among them)
   * @param unreadySince the previous plan's {@link Plan#unreadySince}, empty the first time
   * @param healthy judges health; {@link #healthy} in the operator, anything for {@code sbctl
   *     render --assume-ready}
   */
  public static Plan plan(
      Collection<Service> services,
      Collection<Backend> backends,
      Collection<Site> sites,
      Set<String> routedBefore,
      Map<String, Instant> unreadySince,
      Instant now,
      Duration removalDelay,
      Predicate<Backend> healthy) {
    Map<String, Site> siteByName = new HashMap<>();
    sites.forEach(s -> siteByName.put(s.getMetadata().getName(), s));
    Map<String, Service> serviceByName = new TreeMap<>();
    services.forEach(s -> serviceByName.put(s.getMetadata().getName(), s));

    Map<String, Instant> since = new HashMap<>();
    Instant nextChange = null;
    Map<String, List<Candidate>> eligibleBy = new HashMap<>();
    Map<String, Set<String>> eligibleDials = new HashMap<>();
    Map<String, Map<String, String>> dialToBackend = new HashMap<>();
    List<Backend> ordered =
        backends.stream().sorted(Comparator.comparing(b -> b.getMetadata().getName())).toList();
    for (Backend b : ordered) {
      String name = b.getMetadata().getName();
      Site site = siteByName.get(b.getSpec().site);
      if (!routable(b, site, serviceByName.get(b.getSpec().service))) {
        continue;
      }
      boolean isHealthy = healthy.test(b);
      Eligibility e = Eligibility.ELIGIBLE;
      if (!isHealthy) {
        Instant first = unreadySince.getOrDefault(name, now);
        since.put(name, first);
        Instant expires = first.plus(removalDelay);
        if (routedBefore.contains(name) && now.isBefore(expires)) {
          e = Eligibility.HELD;
          nextChange = nextChange == null || expires.isBefore(nextChange) ? expires : nextChange;
        } else {
          e = Eligibility.OUT;
        }
      }
      if (e == Eligibility.OUT) {
        continue;
      }
      Upstream u =
          new Upstream(b.getSpec().address, b.getSpec().port, b.getSpec().weightOrDefault());
      Candidate c =
          new Candidate(
              u, b.getSpec().roleOrDefault(), site.getMetadata().getName(), priority(site));
      eligibleBy.computeIfAbsent(b.getSpec().service, k -> new ArrayList<>()).add(c);
      dialToBackend.computeIfAbsent(b.getSpec().service, k -> new HashMap<>()).put(u.dial(), name);
      if (e == Eligibility.ELIGIBLE) {
        eligibleDials.computeIfAbsent(b.getSpec().service, k -> new HashSet<>()).add(u.dial());
      }
    }

    List<RoutedService> routed = new ArrayList<>();
    Set<String> routedBackends = new TreeSet<>();
    Map<String, String> invalid = new TreeMap<>();
    for (Service s : serviceByName.values()) {
      String name = s.getMetadata().getName();
      ServiceSpec spec = s.getSpec();
      try {
        ServiceSpec.Failover.Mode mode = spec.failover == null ? null : spec.failover.mode;
        Set<String> live = eligibleDials.getOrDefault(name, Set.of());
        List<Tier> planned = TierPlanner.tiers(mode, eligibleBy.getOrDefault(name, List.of()));
        List<Tier> tiers =
            planned.stream()
                .filter(t -> t.upstreams().stream().anyMatch(u -> live.contains(u.dial())))
                .toList();
        if (tiers.isEmpty()) {
          // Nothing eligible, only held backends: dropping their tiers could only answer 503 at
          // once, while Caddy's own checks may still reach them (one failed probe under load is
          // not a dead service). They leave when their removal delay expires.
          tiers = planned;
        }
        routed.add(
            new RoutedService(
                name,
                spec.hosts,
                spec.pathPrefix,
                RoutedService.Balancing.from(spec.loadBalancing),
                ResolvedHealthCheck.resolve(spec.healthCheck, null),
                tiers));
        // Only the tiers the builder puts in Caddy count as routed (best tier and its fallback).
        Map<String, String> names = dialToBackend.getOrDefault(name, Map.of());
        tiers.stream()
            .limit(2)
            .flatMap(t -> t.upstreams().stream())
            .map(u -> names.get(u.dial()))
            .forEach(routedBackends::add);
      } catch (IllegalArgumentException | NullPointerException e) {
        invalid.put(name, e.getMessage());
      }
    }
    return new Plan(
        List.copyOf(routed),
        Set.copyOf(routedBackends),
        Map.copyOf(since),
        Optional.ofNullable(nextChange),
        Map.copyOf(invalid));
  }

  /** Whether a backend may take traffic at all, health aside. */
  public static boolean routable(Backend b, Site site, Service service) {
    return site != null
        && service != null
        && b.getSpec().address != null
        && b.getSpec().port != null
        && !b.getSpec().draining()
        && !site.getSpec().inMaintenance()
        && !tunnelDown(site)
        && Subnets.contains(site.getSpec().subnet, b.getSpec().address);
  }

  /**
   * A site whose WireGuard tunnel is judged down loses all its backends at once, in one push,
   * without waiting for each probe to fail (and without the removal delay: by the time a tunnel is
   * judged down, Caddy's own checks have long stopped retrying there).
   */
  static boolean tunnelDown(Site site) {
    return site.getStatus() != null
        && site.getStatus()
            .condition(TUNNEL_UP)
            .map(c -> Condition.FALSE.equals(c.status))
            .orElse(false);
  }

  private static int priority(Site site) {
    return site.getSpec().priorityOrDefault();
  }
}
