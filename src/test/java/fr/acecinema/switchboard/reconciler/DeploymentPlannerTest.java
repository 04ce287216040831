package fr.acecinema.switchboard.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.v1alpha1.DeploymentSpec;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentStatus;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentStatus.Replica;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class DeploymentPlannerTest {
  private static final DeploymentPlanner.Settings SETTINGS =
      new DeploymentPlanner.Settings(
          Duration.ofMinutes(2), Duration.ofSeconds(60), Duration.ofSeconds(30));

  private static final Duration INTERVAL = Duration.ofSeconds(5);

  /** A fleet the planner is run against, step by step, as the reconciler would. */
  private static final class World {
    final DeploymentSpec spec = new DeploymentSpec();
    final Map<String, DeploymentPlanner.SiteView> sites = new LinkedHashMap<>();
    final Set<String> registered = new HashSet<>();
    final Set<String> ready = new HashSet<>();
    final Set<String> draining = new HashSet<>();

    /** Since when a registered replica is not ready, as its Backend's Ready condition says. */
    final Map<String, Instant> notReadySince = new HashMap<>();

    /** Replicas whose Backends the agents registered but that the status may not list. */
    final List<Replica> strangers = new ArrayList<>();

    Instant now = Instant.parse("2026-12-02T10:00:00Z");
    DeploymentStatus status;
    DeploymentPlanner.Plan plan;

    World(int replicas, String image) {
      spec.service = "api";
      spec.image = image;
      spec.port = 8080;
      spec.replicas = replicas;
      site("dijon", 10, true);
      site("thory", 20, true);
    }

    void site(String name, int priority, boolean up) {
      sites.put(name, new DeploymentPlanner.SiteView(name, priority, up, now, now, INTERVAL));
    }

    void room(String name, int room) {
      var s = sites.get(name);
      sites.put(
          name,
          new DeploymentPlanner.SiteView(
              name, s.priority(), s.reachable(), s.since(), s.agentSeen(), INTERVAL, room));
    }

    void siteState(String name, boolean up) {
      var s = sites.get(name);
      if (s.reachable() != up) {
        sites.put(
            name,
            new DeploymentPlanner.SiteView(name, s.priority(), up, now, s.agentSeen(), INTERVAL));
      }
    }

    void agentHeard(String name) {
      var s = sites.get(name);
      sites.put(
          name,
          new DeploymentPlanner.SiteView(
              name, s.priority(), s.reachable(), s.since(), now, INTERVAL));
    }

    DeploymentPlanner.Plan step() {
      plan =
          DeploymentPlanner.plan(
              new DeploymentPlanner.Input(
                  "api",
                  spec,
                  status,
                  List.copyOf(sites.values()),
                  r ->
                      new DeploymentPlanner.ReplicaView(
                          registered.contains(r.name),
                          ready.contains(r.name),
                          ready.contains(r.name) ? null : notReadySince.get(r.name)),
                  // Registered as long as their Backend exists, as the reconciler lists them.
                  strangers.stream().filter(r -> registered.contains(r.name)).toList(),
                  now),
              SETTINGS);
      status = plan.status();
      // Agents: a retired replica's container and Backend go away; a retired primary's one step
      // later (it drains first), unless its site is cut off and its agent cannot act.
      Set<String> assigned = names();
      Set<String> cutOff =
          status.retiredPrimaries.stream()
              .filter(r -> !sites.get(r.site).reachable())
              .map(r -> r.name)
              .collect(Collectors.toSet());
      Set<String> retiredPrimaries =
          status.retiredPrimaries.stream().map(r -> r.name).collect(Collectors.toSet());
      registered.removeIf(
          n ->
              !assigned.contains(n)
                  && !cutOff.contains(n)
                  && (!retiredPrimaries.contains(n) || draining.contains(n)));
      draining.clear();
      draining.addAll(retiredPrimaries);
      ready.retainAll(assigned);
      return plan;
    }

    /** Every assigned replica registers and passes its health check. */
    void allServe() {
      for (Replica r : status.replicas) {
        registered.add(r.name);
        if (sites.get(r.site).reachable()) {
          ready.add(r.name);
        }
      }
    }

    void later(Duration d) {
      now = now.plus(d);
    }

    Set<String> names() {
      return status.replicas.stream().map(r -> r.name).collect(Collectors.toSet());
    }

    Map<String, Long> perSite(int revision) {
      return status.replicas.stream()
          .filter(r -> r.revision == revision)
          .collect(Collectors.groupingBy(r -> r.site, TreeMap::new, Collectors.counting()));
    }

    long primaries() {
      return status.replicas.stream().filter(Replica::isPrimary).count();
    }

    /** Runs steps, every new replica serving after each, until the plan is complete. */
    int rollOut(List<Long> readyPerStep) {
      int steps = 0;
      do {
        step();
        readyPerStep.add(status.replicas.stream().filter(r -> ready.contains(r.name)).count());
        allServe();
        later(Duration.ofSeconds(1));
        steps++;
      } while (!plan.complete() && steps < 50);
      return steps;
    }
  }

  @Test
  void spreadsReplicasOverTheSitesByPriorityTheFirstSitesTakingTheRemainder() {
    World w = new World(3, "local/api:1");
    w.step();
    assertThat(w.perSite(1)).containsExactly(Map.entry("dijon", 2L), Map.entry("thory", 1L));
    assertThat(w.names()).containsExactlyInAnyOrder("api-r1-1", "api-r1-2", "api-r1-3");
    assertThat(w.plan.complete()).isFalse();
    w.allServe();
    w.step();
    assertThat(w.plan.complete()).isTrue();
    assertThat(w.plan.available()).isTrue();
    assertThat(w.status.readyReplicas).isEqualTo(3);
    assertThat(w.status.currentImage).isEqualTo("local/api:1");
  }

  @Test
  void perSiteCountsReplaceTheSpread() {
    World w = new World(1, "local/api:1");
    w.spec.perSite = Map.of("thory", 2, "dijon", 1);
    w.step();
    assertThat(w.perSite(1)).containsExactly(Map.entry("dijon", 1L), Map.entry("thory", 2L));
  }

  @Test
  void aSiteTakesNoMoreThanItsRoomTheOthersTakeTheRestAndWhatNoneCanTakeIsLeftOut() {
    World w = new World(5, "local/api:1");
    w.room("dijon", 1);
    w.room("thory", 2);
    w.step();
    assertThat(w.perSite(1)).containsExactly(Map.entry("dijon", 1L), Map.entry("thory", 2L));
    assertThat(w.plan.eligible()).containsExactly("dijon", "thory");
    w.allServe();
    w.step();
    assertThat(w.plan.complete()).isFalse();
    assertThat(w.plan.placedComplete()).isTrue();
  }

  @Test
  void aPerSiteCountBeyondASitesRoomGoesToTheOthers() {
    World w = new World(1, "local/api:1");
    w.spec.perSite = Map.of("dijon", 3);
    w.room("dijon", 1);
    w.step();
    assertThat(w.perSite(1)).containsExactly(Map.entry("dijon", 1L), Map.entry("thory", 2L));
    assertThat(w.plan.desired().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(3);
  }

  @Test
  void aRollingUpdateNeverHasFewerReadyReplicasThanAskedAndEndsOnTheNewImageOnly() {
    World w = new World(3, "local/api:1");
    w.rollOut(new ArrayList<>());
    w.spec.image = "local/api:2";
    List<Long> readyPerStep = new ArrayList<>();
    int steps = w.rollOut(readyPerStep);
    assertThat(readyPerStep).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(3));
    assertThat(w.status.replicas).allSatisfy(r -> assertThat(r.image).isEqualTo("local/api:2"));
    assertThat(w.status.replicas).hasSize(3);
    assertThat(w.status.previousImage).isEqualTo("local/api:1");
    // maxSurge 1: one new replica at a time, so more than three steps.
    assertThat(steps).isGreaterThan(3);
  }

  @Test
  void blueGreenStartsEveryNewReplicaAndRetiresTheOldOnesTogetherOnceAllServe() {
    World w = new World(2, "local/api:1");
    w.spec.strategy = new DeploymentSpec.Strategy();
    w.spec.strategy.type = DeploymentSpec.Strategy.Type.BLUE_GREEN;
    w.rollOut(new ArrayList<>());
    w.spec.image = "local/api:2";
    w.step();
    assertThat(w.perSite(2)).containsExactly(Map.entry("dijon", 1L), Map.entry("thory", 1L));
    assertThat(w.perSite(1)).hasSize(2);
    // One new replica serves: nothing old is retired yet.
    w.registered.add("api-r2-3");
    w.ready.add("api-r2-3");
    w.step();
    assertThat(w.perSite(1)).hasSize(2);
    w.allServe();
    w.step();
    assertThat(w.perSite(1)).isEmpty();
    assertThat(w.perSite(2)).hasSize(2);
    assertThat(w.plan.complete()).isTrue();
  }

  @Test
  void aNewImageThatNeverServesIsRolledBackAfterTheDeadlineAndTheOldReplicasNeverStopped() {
    World w = new World(2, "local/api:1");
    w.rollOut(new ArrayList<>());
    Set<String> old = w.names();
    w.spec.image = "local/api:broken";
    w.step();
    assertThat(w.names()).containsAll(old).hasSize(3);
    w.later(Duration.ofSeconds(119));
    w.step();
    assertThat(w.plan.rolledBack()).isFalse();
    assertThat(w.names()).containsAll(old);
    w.later(Duration.ofSeconds(1));
    w.step();
    assertThat(w.plan.rolledBack()).isTrue();
    assertThat(w.names()).isEqualTo(old);
    assertThat(w.status.currentImage).isEqualTo("local/api:1");
    assertThat(w.status.previousImage).isEqualTo("local/api:broken");
    assertThat(w.plan.complete()).isTrue();
    // The same spec is not tried again; another change is.
    w.later(Duration.ofMinutes(5));
    w.step();
    assertThat(w.names()).isEqualTo(old);
    w.spec.image = "local/api:3";
    w.step();
    assertThat(w.status.current.revision).isEqualTo(3);
    assertThat(w.status.replicas).anySatisfy(r -> assertThat(r.image).isEqualTo("local/api:3"));
  }

  @Test
  void
      aSiteUnreachableForRescheduleAfterHasItsReplicasStartedElsewhereAndGetsThemBackWithoutAGap() {
    World w = new World(2, "local/api:1");
    w.rollOut(new ArrayList<>());
    w.siteState("dijon", false);
    w.ready.removeIf(n -> n.startsWith("api-r1-1"));
    w.later(Duration.ofSeconds(59));
    w.step();
    assertThat(w.perSite(1)).containsEntry("dijon", 1L);
    w.later(Duration.ofSeconds(1));
    w.step();
    assertThat(w.status.lostSites).containsKey("dijon");
    assertThat(w.perSite(1)).containsExactly(Map.entry("thory", 2L));
    w.allServe();
    w.step();
    assertThat(w.plan.complete()).isTrue();

    // Back, but not for a whole rescheduleAfter yet: nothing moves.
    w.siteState("dijon", true);
    w.later(Duration.ofSeconds(30));
    w.step();
    assertThat(w.perSite(1)).containsExactly(Map.entry("thory", 2L));
    w.later(Duration.ofSeconds(30));
    w.step();
    assertThat(w.status.lostSites).isEmpty();
    assertThat(w.perSite(1)).containsExactly(Map.entry("dijon", 1L), Map.entry("thory", 2L));
    // The surplus leaves only once dijon's replica serves.
    w.step();
    assertThat(w.perSite(1)).containsEntry("thory", 2L);
    w.allServe();
    w.step();
    assertThat(w.perSite(1)).containsExactly(Map.entry("dijon", 1L), Map.entry("thory", 1L));
  }

  @Test
  void aFlappingSiteCausesNoContainerChurn() {
    World w = new World(2, "local/api:1");
    w.rollOut(new ArrayList<>());
    Set<String> before = w.names();
    for (int i = 0; i < 30; i++) {
      w.siteState("dijon", i % 2 == 0);
      w.later(Duration.ofSeconds(i % 2 == 0 ? 5 : 40));
      w.step();
      assertThat(w.names()).isEqualTo(before);
    }
  }

  @Test
  void thePrimaryDutyIsNeverAssignedTwiceThroughARollingUpdate() {
    World w = new World(3, "local/api:1");
    w.spec.primaryEnv = Map.of("CRON_ENABLED", "true");
    w.rollOut(new ArrayList<>());
    assertThat(w.primaries()).isEqualTo(1);
    Replica first = w.status.replicas.stream().filter(Replica::isPrimary).findFirst().orElseThrow();
    assertThat(first.env).containsEntry("CRON_ENABLED", "true");
    assertThat(first.lease).isEqualTo("30s");
    w.spec.image = "local/api:2";
    for (int i = 0; i < 40 && !(w.plan.complete() && w.status.current.revision == 2); i++) {
      w.step();
      long running = w.primaries() + w.status.retiredPrimaries.size();
      assertThat(running).as("primaries assigned or still alive").isLessThanOrEqualTo(1);
      w.allServe();
      w.later(Duration.ofSeconds(1));
    }
    assertThat(w.plan.complete()).isTrue();
    assertThat(w.primaries()).isEqualTo(1);
    assertThat(w.status.replicas)
        .filteredOn(Replica::isPrimary)
        .allSatisfy(r -> assertThat(r.image).isEqualTo("local/api:2"));
    assertThat(w.status.replicas)
        .filteredOn(r -> !r.isPrimary())
        .allSatisfy(r -> assertThat(r.env).isNull());
  }

  @Test
  void aPrimaryOnALostSiteMovesOnlyOnceItsAgentHasBeenSilentForItsLeaseAndItsStop() {
    World w = new World(2, "local/api:1");
    w.spec.primaryEnv = Map.of("CRON_ENABLED", "true");
    w.rollOut(new ArrayList<>());
    Replica primary =
        w.status.replicas.stream().filter(Replica::isPrimary).findFirst().orElseThrow();
    assertThat(primary.site).isEqualTo("dijon");
    w.siteState("dijon", false);
    w.ready.remove(primary.name);
    // The hub cannot probe dijon, but its agent still reaches the hub: the primary may still run,
    // so no other replica gets the duty, even once dijon is lost and its replicas are replaced.
    for (int i = 0; i < 8; i++) {
      w.later(Duration.ofSeconds(10));
      w.agentHeard("dijon");
      w.step();
      w.allServe();
      assertThat(w.primaries() + w.status.retiredPrimaries.size()).isEqualTo(1);
      assertThat(w.status.replicas)
          .noneSatisfy(r -> assertThat(r.isPrimary() && r.site.equals("thory")).isTrue());
    }
    assertThat(w.status.lostSites).containsKey("dijon");
    assertThat(w.plan.heldPrimary()).isTrue();
    // The agent falls silent too: after its lease, the agent's stop (10 s, + 2 s) and one agent
    // interval (5 s) the duty moves.
    w.later(Duration.ofSeconds(46));
    w.step();
    assertThat(w.primaries()).isZero();
    w.later(Duration.ofSeconds(1));
    w.step();
    assertThat(w.primaries()).isEqualTo(1);
    assertThat(w.status.replicas.stream().filter(Replica::isPrimary).findFirst().orElseThrow().site)
        .isEqualTo("thory");
  }

  @Test
  void aRegisteredPrimaryTheStatusDoesNotListHoldsTheDutyUntilItsBackendIsGone() {
    // The Deployment was deleted and declared again: its status starts empty while the agent of
    // dijon still drains the former primary, api-r4-9.
    World w = new World(2, "local/api:1");
    w.spec.primaryEnv = Map.of("CRON_ENABLED", "true");
    Replica former = new Replica();
    former.name = "api-r4-9";
    former.site = "dijon";
    former.primary = true;
    w.strangers.add(former);
    w.registered.add("api-r4-9");
    w.step();
    assertThat(w.plan.heldPrimary()).isTrue();
    assertThat(w.primaries()).isZero();
    assertThat(w.status.retiredPrimaries).extracting(r -> r.name).containsExactly("api-r4-9");
    // Numbers go on after the highest registered one: api-r1-9 could be mistaken for it.
    assertThat(w.names()).allSatisfy(n -> assertThat(DeploymentPlanner.number(n)).isGreaterThan(9));

    // Its container stopped and its Backend is gone: now the duty may start.
    w.strangers.clear();
    w.registered.remove("api-r4-9");
    w.later(Duration.ofSeconds(1));
    w.step();
    assertThat(w.primaries()).isEqualTo(1);
    assertThat(w.plan.heldPrimary()).isFalse();
  }

  @Test
  void replicasStillServingWhenTheStatusWasLostAreAdoptedAndReplacedWithoutLosingReadiness() {
    World w = new World(2, "local/api:1");
    for (String[] r : new String[][] {{"api-r3-4", "dijon"}, {"api-r3-5", "thory"}}) {
      Replica running = new Replica();
      running.name = r[0];
      running.site = r[1];
      running.service = "api";
      w.strangers.add(running);
      w.registered.add(r[0]);
      w.ready.add(r[0]);
    }
    List<Long> readyPerStep = new ArrayList<>();
    w.rollOut(readyPerStep);
    assertThat(readyPerStep).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(2));
    assertThat(w.names()).hasSize(2).doesNotContain("api-r3-4", "api-r3-5");
    assertThat(w.names()).allSatisfy(n -> assertThat(DeploymentPlanner.number(n)).isGreaterThan(5));
  }

  @Test
  void goingBackToThePreviousRevisionMidRolloutKeepsItsReplicasInsteadOfReplacingThem() {
    World w = new World(2, "local/api:1");
    w.rollOut(new ArrayList<>());
    java.util.Set<String> first = w.names();
    // A new image that never gets ready: its surge replica starts, nothing old retires.
    w.spec.image = "local/api:9";
    w.step();
    w.later(Duration.ofSeconds(1));
    w.step();
    assertThat(w.status.current.revision).isEqualTo(2);
    assertThat(w.names()).containsAll(first).hasSize(3);

    // Undo: the spec names local/api:1 again.
    w.spec.image = "local/api:1";
    w.step();
    assertThat(w.status.current.revision).isEqualTo(1);
    assertThat(w.status.previous.image).isEqualTo("local/api:9");
    assertThat(w.names()).isEqualTo(first);
    assertThat(w.plan.complete()).isTrue();
  }

  @Test
  void theFirstPlanWithoutAStatusReportsWhatItAdoptedAndLaterPlansReportNothing() {
    World w = new World(1, "local/api:1");
    Replica running = new Replica();
    running.name = "api-r3-4";
    running.site = "dijon";
    running.service = "api";
    w.strangers.add(running);
    w.registered.add("api-r3-4");
    w.ready.add("api-r3-4");
    assertThat(w.step().adopted())
        .extracting(r -> r.name + "@" + r.site + "/" + r.revision)
        .containsExactly("api-r3-4@dijon/0");
    assertThat(w.step().adopted()).isEmpty();
  }

  @Test
  void anOldReplicaNotReadyForAMomentMidRolloutIsKeptAndRetiredOnlyOnceTheGraceIsOver() {
    World w = new World(3, "local/api:1");
    String blip = midRolloutOldReplica(w);
    // One slow probe: an old replica's Backend is not ready since now.
    w.ready.remove(blip);
    w.notReadySince.put(blip, w.now);
    w.later(Duration.ofSeconds(1));
    w.step();
    assertThat(w.names()).contains(blip);
    assertThat(w.plan.lookAgainIn())
        .hasValueSatisfying(d -> assertThat(d).isLessThan(Duration.ofSeconds(10)));
    // Still not ready when the grace is over: retired for it.
    w.later(DeploymentPlanner.NOT_READY_GRACE);
    w.step();
    assertThat(w.names()).doesNotContain(blip);
  }

  @Test
  void aReplicaNotReadySinceAnUnknownTimeIsRetiredAtOnceAsBefore() {
    World w = new World(3, "local/api:1");
    String old = midRolloutOldReplica(w);
    w.ready.remove(old);
    w.step();
    assertThat(w.names()).doesNotContain(old);
  }

  /** Rolls {@code w} out, starts a rollout to a new image; returns a replica of the old one. */
  private static String midRolloutOldReplica(World w) {
    w.rollOut(new ArrayList<>());
    w.spec.image = "local/api:2";
    w.step();
    assertThat(w.perSite(2)).isNotEmpty();
    return w.status.replicas.stream().filter(r -> r.revision == 1).findFirst().get().name;
  }

  @Test
  void fewerReplicasRetireTheSurplusNotReadyFirst() {
    World w = new World(3, "local/api:1");
    w.rollOut(new ArrayList<>());
    // dijon runs two (r1-1, r1-2), thory one: the surplus is dijon's, its replica not ready first.
    w.ready.remove("api-r1-2");
    w.spec.replicas = 2;
    w.step();
    assertThat(w.names()).containsExactlyInAnyOrder("api-r1-1", "api-r1-3");
  }

  @Test
  void noSiteMeansNoReplicasAndNotAvailable() {
    World w = new World(2, "local/api:1");
    w.sites.clear();
    w.step();
    assertThat(w.status.replicas).isEmpty();
    assertThat(w.plan.desired()).isEmpty();
    assertThat(w.plan.available()).isFalse();
    assertThat(w.plan.complete()).isFalse();
  }
}
