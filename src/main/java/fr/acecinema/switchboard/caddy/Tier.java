package fr.acecinema.switchboard.caddy;

import java.util.List;

/**
 * Upstreams that share traffic by weight; a service's tiers are ordered, the first non-empty one
 * takes the traffic.
 *
 * @param upstreams at least one
 */
public record Tier(List<Upstream> upstreams) {
  public Tier {
    upstreams = List.copyOf(upstreams);
    if (upstreams.isEmpty()) {
      throw new IllegalArgumentException("a tier needs at least one upstream");
    }
  }
}
