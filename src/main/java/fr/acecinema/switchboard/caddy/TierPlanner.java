package fr.acecinema.switchboard.caddy;

import fr.acecinema.switchboard.api.v1alpha1.BackendSpec.Role;
import fr.acecinema.switchboard.api.v1alpha1.ServiceSpec.Failover.Mode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Orders a service's eligible backends into tiers, best first (pure). */
public final class TierPlanner {
  private TierPlanner() {}

  /**
   * {@code spread}: all primaries form the first tier, all standbys the second. {@code priority}:
   * one tier per (site priority, role), lowest priority number first and, within a priority,
   * primary before standby; sites with equal priority share a tier by weight.
   *
   * @param mode null means spread
   * @param eligible backends that may take traffic now
   * @return tiers best first; empty when nothing is eligible
   */
  public static List<Tier> tiers(Mode mode, List<Candidate> eligible) {
    Map<List<Integer>, List<Candidate>> groups = new TreeMap<>(TierPlanner::compareKeys);
    for (Candidate c : eligible) {
      int role = c.role() == Role.PRIMARY ? 0 : 1;
      List<Integer> key = mode == Mode.PRIORITY ? List.of(c.sitePriority(), role) : List.of(role);
      groups.computeIfAbsent(key, k -> new ArrayList<>()).add(c);
    }
    List<Tier> tiers = new ArrayList<>();
    for (List<Candidate> group : groups.values()) {
      tiers.add(
          new Tier(
              group.stream()
                  .sorted(
                      Comparator.comparing((Candidate c) -> c.upstream().dial())
                          .thenComparing(Candidate::site))
                  .map(Candidate::upstream)
                  .toList()));
    }
    return List.copyOf(tiers);
  }

  private static int compareKeys(List<Integer> a, List<Integer> b) {
    for (int i = 0; i < a.size(); i++) {
      int c = Integer.compare(a.get(i), b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }
}
