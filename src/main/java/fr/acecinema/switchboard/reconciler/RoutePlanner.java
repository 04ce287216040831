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
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Decides where each service's traffic goes (pure), in two layers that change at different rates.
 *
 * <p><b>Shape</b> ({@link Plan#services}, goes into Caddy's config, changes only with specs): a
 * backend is <em>declared</em> when its site and service exist and its address is in its site's
 * subnet, <em>routable</em> when it is also not draining and its site not in maintenance. Declared
 * backends decide whether a service has a next tier (an error route); routable ones, ordered into
 * tiers ({@link TierPlanner}), give the route's static upstreams, which Caddy uses only while
 * Switchboard's resolver does not answer (and which alone never cause a reload).
 *
 * <p><b>Answers</b> ({@link Plan#answers}, served by the resolver, change with health, cost no
 * reload): a routable backend is <em>live</em> when it is healthy, its host has not stopped
 * answering the heartbeat and its site's tunnel is not judged down. Each tier keeps its live
 * backends; empty tiers drop out; the first remaining one takes traffic, the second waits behind
 * Caddy's error route. When no backend of a service is live the service keeps what it answered
 * before (or, the first time, every routable backend): a false "down" verdict, or every check
 * failing at once on a loaded hub, must never black out a service that may still answer ({@link
 * Plan#lastResort}).
 */
public final class RoutePlanner {
  private RoutePlanner() {}

  /**
   * The routing decided for a fleet.
   *
   * @param services every valid Service with its routable tiers, sorted by name (Caddy's config)
   * @param answers per service name, the live tiers, best first (at most two: taking traffic, and
   *     next); absent for a service without routable backends
   * @param lastResort services with no live backend, answered with their previous (or every
   *     routable) upstreams
   * @param liveBackends names of the backends in some answer
   * @param routableBackends names of every routable backend (those whose verdict matters)
   * @param invalid services that cannot be routed, with the reason (name → message)
   */
  public record Plan(
      List<RoutedService> services,
      Map<String, List<Tier>> answers,
      Set<String> lastResort,
      Set<String> liveBackends,
      Set<String> routableBackends,
      Map<String, String> invalid) {}

  /** Healthy according to the backend's last status: its {@code Healthy} condition is True. */
  public static boolean healthy(Backend b) {
    return Conditions.isTrue(b.getStatus(), HEALTHY);
  }

  /**
   * Plans the routes of a whole fleet.
   *
   * @param live judges a routable backend: healthy and reachable ({@link #healthy} and the
   *     heartbeat in the operator, anything for {@code sbctl render})
   * @param previous the previous plan's {@link Plan#answers}, empty the first time
   */
  public static Plan plan(
      Collection<Service> services,
      Collection<Backend> backends,
      Collection<Site> sites,
      Predicate<Backend> live,
      Map<String, List<Tier>> previous) {
    Map<String, Site> siteByName = new HashMap<>();
    sites.forEach(s -> siteByName.put(s.getMetadata().getName(), s));
    Map<String, Service> serviceByName = new TreeMap<>();
    services.forEach(s -> serviceByName.put(s.getMetadata().getName(), s));

    Map<String, List<Candidate>> routableBy = new HashMap<>();
    Map<String, List<Candidate>> declaredBy = new HashMap<>();
    Map<String, Set<String>> liveDials = new HashMap<>();
    Map<String, Map<String, String>> dialToBackend = new HashMap<>();
    List<Backend> ordered =
        backends.stream().sorted(Comparator.comparing(b -> b.getMetadata().getName())).toList();
    for (Backend b : ordered) {
      Site site = siteByName.get(b.getSpec().site);
      String service = b.getSpec().service;
      if (!declared(b, site, serviceByName.get(service))) {
        continue;
      }
      Upstream u =
          new Upstream(b.getSpec().address, b.getSpec().port, b.getSpec().weightOrDefault());
      Candidate c =
          new Candidate(
              u,
              b.getSpec().roleOrDefault(),
              site.getMetadata().getName(),
              site.getSpec().priorityOrDefault());
      declaredBy.computeIfAbsent(service, k -> new ArrayList<>()).add(c);
      if (!routable(b, site, serviceByName.get(service))) {
        continue;
      }
      routableBy.computeIfAbsent(service, k -> new ArrayList<>()).add(c);
      dialToBackend
          .computeIfAbsent(service, k -> new HashMap<>())
          .put(u.dial(), b.getMetadata().getName());
      if (!tunnelDown(site) && live.test(b)) {
        liveDials.computeIfAbsent(service, k -> new HashSet<>()).add(u.dial());
      }
    }

    List<RoutedService> routed = new ArrayList<>();
    Map<String, List<Tier>> answers = new TreeMap<>();
    Set<String> lastResort = new TreeSet<>();
    Set<String> liveBackends = new TreeSet<>();
    Set<String> routableBackends = new TreeSet<>();
    dialToBackend.values().forEach(m -> routableBackends.addAll(m.values()));
    Map<String, String> invalid = new TreeMap<>();
    for (Service s : serviceByName.values()) {
      String name = s.getMetadata().getName();
      ServiceSpec spec = s.getSpec();
      try {
        ServiceSpec.Failover.Mode mode = spec.failover == null ? null : spec.failover.mode;
        List<Tier> tiers = TierPlanner.tiers(mode, routableBy.getOrDefault(name, List.of()));
        int declaredTiers =
            TierPlanner.tiers(mode, declaredBy.getOrDefault(name, List.of())).size();
        routed.add(
            new RoutedService(
                name,
                spec.hosts,
                spec.pathPrefix,
                RoutedService.Balancing.from(spec.loadBalancing),
                ResolvedHealthCheck.resolve(spec.healthCheck, null),
                tiers,
                declaredTiers > 1));
        if (tiers.isEmpty()) {
          continue;
        }
        Set<String> liveHere = liveDials.getOrDefault(name, Set.of());
        List<Tier> answer = new ArrayList<>();
        for (Tier t : tiers) {
          List<Upstream> kept =
              t.upstreams().stream().filter(u -> liveHere.contains(u.dial())).toList();
          if (!kept.isEmpty() && answer.size() < 2) {
            answer.add(new Tier(kept));
          }
        }
        if (answer.isEmpty()) {
          lastResort.add(name);
          answer = stillRoutable(previous.get(name), tiers);
        }
        answers.put(name, List.copyOf(answer));
        Map<String, String> names = dialToBackend.getOrDefault(name, Map.of());
        answer.stream()
            .flatMap(t -> t.upstreams().stream())
            .filter(u -> liveHere.contains(u.dial()))
            .map(u -> names.get(u.dial()))
            .forEach(liveBackends::add);
      } catch (IllegalArgumentException | NullPointerException e) {
        invalid.put(name, e.getMessage());
      }
    }
    return new Plan(
        List.copyOf(routed),
        Map.copyOf(answers),
        Set.copyOf(lastResort),
        Set.copyOf(liveBackends),
        Set.copyOf(routableBackends),
        Map.copyOf(invalid));
  }

  /**
   * The previous answer, less what is no longer routable (a drain is obeyed even then); every
   * routable backend of the first tier when nothing of it is left.
   */
  private static List<Tier> stillRoutable(List<Tier> previous, List<Tier> tiers) {
    Set<String> routable = new HashSet<>();
    tiers.forEach(t -> t.upstreams().forEach(u -> routable.add(u.dial())));
    List<Tier> kept = new ArrayList<>();
    if (previous != null) {
      for (Tier t : previous) {
        List<Upstream> still =
            t.upstreams().stream().filter(u -> routable.contains(u.dial())).toList();
        if (!still.isEmpty()) {
          kept.add(new Tier(still));
        }
      }
    }
    return kept.isEmpty() ? List.of(tiers.get(0)) : kept;
  }

  /**
   * Whether a backend counts in its service's route at all: its site and service exist and its
   * address lies in its site's subnet. Only this (no drain, no health) shapes Caddy's config.
   */
  public static boolean declared(Backend b, Site site, Service service) {
    return site != null
        && service != null
        && b.getSpec().address != null
        && b.getSpec().port != null
        && Subnets.contains(site.getSpec().subnet, b.getSpec().address);
  }

  /** Whether a backend may take traffic at all, health aside: declared, not drained or parked. */
  public static boolean routable(Backend b, Site site, Service service) {
    return declared(b, site, service) && !b.getSpec().draining() && !site.getSpec().inMaintenance();
  }

  /**
   * A site whose WireGuard tunnel is judged down loses all its backends at once, without waiting
   * for each probe to fail.
   */
  static boolean tunnelDown(Site site) {
    return site.getStatus() != null
        && site.getStatus()
            .condition(TUNNEL_UP)
            .map(c -> Condition.FALSE.equals(c.status))
            .orElse(false);
  }
}
