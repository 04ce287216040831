package fr.acecinema.switchboard.caddy;

import fr.acecinema.switchboard.api.v1alpha1.ResolvedHealthCheck;
import fr.acecinema.switchboard.api.v1alpha1.ServiceSpec;
import fr.acecinema.switchboard.api.v1alpha1.ServiceSpec.LoadBalancing.Policy;
import fr.acecinema.switchboard.util.Durations;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A Service as Caddy routes it.
 *
 * @param name the Service's name (used in route {@code @id}s)
 * @param hosts public host names, at least one
 * @param pathPrefix e.g. {@code /api/}; null or {@code /} means every path
 * @param balancing selection policy and timeouts
 * @param healthCheck the service's resolved check (Caddy's own active check mirrors it)
 * @param tiers routable upstreams, best tier first (see {@link TierPlanner}): the route's static
 *     upstreams, used only while Switchboard's resolver does not answer; empty, the service answers
 *     503
 * @param fallbackRoute whether the service has a next tier declared (standbys, or sites of another
 *     priority): its error route sends a request the best tier could not serve to the next tier
 */
public record RoutedService(
    String name,
    List<String> hosts,
    String pathPrefix,
    Balancing balancing,
    ResolvedHealthCheck healthCheck,
    List<Tier> tiers,
    boolean fallbackRoute) {
  public RoutedService {
    Objects.requireNonNull(name, "name");
    hosts = List.copyOf(hosts);
    if (hosts.isEmpty()) {
      throw new IllegalArgumentException("service " + name + " has no host");
    }
    Objects.requireNonNull(balancing, "balancing");
    tiers = List.copyOf(tiers);
  }

  /** The prefix, {@code /} when absent. */
  public String prefixOrRoot() {
    return pathPrefix == null || pathPrefix.isEmpty() ? "/" : pathPrefix;
  }

  /**
   * Request spreading and retry settings of a service, defaults applied.
   *
   * @param policy selection policy among the upstreams of a tier
   * @param tryDuration how long a request may be retried on other upstreams
   * @param tryInterval wait between two retries
   * @param dialTimeout maximum time to open a connection
   * @param responseTimeout maximum wait for response headers
   */
  public record Balancing(
      Policy policy,
      Duration tryDuration,
      Duration tryInterval,
      Duration dialTimeout,
      Duration responseTimeout) {

    /** Applies a service's declared load balancing over the defaults; null means all defaults. */
    public static Balancing from(ServiceSpec.LoadBalancing lb) {
      Balancing d = defaults();
      if (lb == null) {
        return d;
      }
      return new Balancing(
          lb.policy == null ? d.policy : lb.policy,
          lb.tryDuration == null ? d.tryDuration : Durations.parse(lb.tryDuration),
          lb.tryInterval == null ? d.tryInterval : Durations.parse(lb.tryInterval),
          lb.dialTimeout == null ? d.dialTimeout : Durations.parse(lb.dialTimeout),
          lb.responseTimeout == null ? d.responseTimeout : Durations.parse(lb.responseTimeout));
    }

    /** The defaults documented on {@code ServiceSpec.LoadBalancing}. */
    public static Balancing defaults() {
      return new Balancing(
          Policy.RANDOM,
          Duration.ofSeconds(5),
          Duration.ofMillis(50),
          Duration.ofSeconds(1),
          Duration.ofSeconds(2));
    }
  }
}
