package fr.acecinema.switchboard.caddy;

import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import java.util.Objects;

/**
 * A backend that may take traffic now: ready, not draining, on a site not in maintenance. The
 * reconciler filters; {@link TierPlanner} only orders.
 *
 * @param upstream where Caddy dials it, with its weight
 * @param role primary or standby
 * @param site name of its site (only for stable ordering and logs)
 * @param sitePriority the site's priority, lower preferred
 */
public record Candidate(Upstream upstream, BackendSpec.Role role, String site, int sitePriority) {
  public Candidate {
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(site, "site");
  }
}
