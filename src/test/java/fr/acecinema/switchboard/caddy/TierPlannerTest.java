package fr.acecinema.switchboard.caddy;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.v1alpha1.BackendSpec.Role;
import fr.acecinema.switchboard.api.v1alpha1.ServiceSpec.Failover.Mode;
import java.util.List;
import org.junit.jupiter.api.Test;

class TierPlannerTest {
  private static Candidate c(String host, int weight, Role role, String site, int priority) {
    return new Candidate(new Upstream(host, 8080, weight), role, site, priority);
  }

  private static final List<Candidate> FLEET =
      List.of(
          c("10.200.1.45", 1, Role.PRIMARY, "thory", 20),
          c("10.200.0.24", 1, Role.STANDBY, "dijon", 10),
          c("10.200.0.23", 10, Role.PRIMARY, "dijon", 10),
          c("10.200.1.46", 1, Role.STANDBY, "thory", 20));

  private static List<List<String>> hosts(List<Tier> tiers) {
    return tiers.stream().map(t -> t.upstreams().stream().map(Upstream::host).toList()).toList();
  }

  @Test
  void spreadPutsAllPrimariesFirstThenAllStandbys() {
    assertThat(hosts(TierPlanner.tiers(Mode.SPREAD, FLEET)))
        .containsExactly(
            List.of("10.200.0.23", "10.200.1.45"), List.of("10.200.0.24", "10.200.1.46"));
    assertThat(hosts(TierPlanner.tiers(null, FLEET))).hasSize(2);
  }

  @Test
  void priorityOrdersBySitePriorityThenRole() {
    assertThat(hosts(TierPlanner.tiers(Mode.PRIORITY, FLEET)))
        .containsExactly(
            List.of("10.200.0.23"),
            List.of("10.200.0.24"),
            List.of("10.200.1.45"),
            List.of("10.200.1.46"));
  }

  @Test
  void nextTierTakesOverWhenTheBestHasNoEligibleBackend() {
    List<Candidate> dijonGone = FLEET.stream().filter(c -> !c.site().equals("dijon")).toList();
    assertThat(hosts(TierPlanner.tiers(Mode.PRIORITY, dijonGone)).get(0))
        .containsExactly("10.200.1.45");
    assertThat(TierPlanner.tiers(Mode.PRIORITY, List.of())).isEmpty();
  }

  @Test
  void sitesOfEqualPriorityShareATier() {
    List<Candidate> equal =
        List.of(
            c("10.200.0.23", 10, Role.PRIMARY, "dijon", 5),
            c("10.200.1.45", 1, Role.PRIMARY, "thory", 5));
    assertThat(hosts(TierPlanner.tiers(Mode.PRIORITY, equal)))
        .containsExactly(List.of("10.200.0.23", "10.200.1.45"));
  }
}
