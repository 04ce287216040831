package fr.acecinema.switchboard.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.agent.AgentRegistry;
import fr.acecinema.switchboard.agent.AgentReport;
import fr.acecinema.switchboard.agent.ReplicaReport;
import fr.acecinema.switchboard.api.BackendNames;
import fr.acecinema.switchboard.api.ManagedBy;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Condition;
import fr.acecinema.switchboard.api.v1alpha1.Deployment;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentSpec;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentStatus.Replica;
import fr.acecinema.switchboard.api.v1alpha1.Site;
import fr.acecinema.switchboard.api.v1alpha1.SiteStatus;
import fr.acecinema.switchboard.testing.Fleet;
import fr.acecinema.switchboard.testing.ReconcilerHarness;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeploymentReconcilerTest {
  private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");
  private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

  private ReconcilerHarness<Deployment> fleet() {
    return fleet(null);
  }

  private ReconcilerHarness<Deployment> fleet(AgentRegistry agents) {
    // The reconciler reads sites and backends through the harness's store.
    var store = ReconcilerHarness.indexedStore();
    return new ReconcilerHarness<>(
        new DeploymentReconciler(clock, store, agents).controller(), store);
  }

  private static Site siteWithAgent(String name, String subnet, int priority) {
    Site s = Fleet.site(name, subnet);
    s.getSpec().priority = priority;
    s.setStatus(new SiteStatus());
    s.getStatus().agent = new SiteStatus.AgentStatus();
    s.getStatus().setCondition(new Condition("Ready", Condition.TRUE, "BackendsReady", ""), 1, NOW);
    return s;
  }

  private static Deployment deployment(String name, String service, String image, int replicas) {
    Deployment d = new Deployment();
    d.setMetadata(new ObjectMetaBuilder().withName(name).withGeneration(1L).build());
    d.setSpec(new DeploymentSpec());
    d.getSpec().service = service;
    d.getSpec().image = image;
    d.getSpec().port = 8080;
    d.getSpec().replicas = replicas;
    return d;
  }

  /** A heartbeat of dijon's agent reporting one replica. */
  private static void heartbeat(AgentRegistry agents, Instant sentAt, ReplicaReport replica) {
    agents.report(
        "dijon",
        new AgentReport(
            "test",
            "24.0",
            "dijon-1",
            sentAt,
            Duration.ofSeconds(5),
            java.util.List.of(),
            java.util.List.of(replica)));
  }

  /**
   * The agents ran every assigned replica: each registered as a Backend of its site that serves.
   */
  private static void serve(ReconcilerHarness<Deployment> h, Deployment d) {
    int i = 5;
    for (Replica x : d.getStatus().replicas) {
      String subnet = x.site.equals("dijon") ? "0" : "1";
      h.put(
          Fleet.withHealth(
              Fleet.backend(
                  BackendNames.of(x.site, x.name),
                  "api",
                  x.site,
                  "10.200." + subnet + "." + i++,
                  8080),
              true,
              true,
              null));
    }
  }

  @Test
  void aDeploymentForAMissingServiceIsNotAcceptedAndNotRetried() {
    var h = fleet();
    h.put(siteWithAgent("dijon", "10.200.0.0/24", 10), deployment("api", "api", "local/api:1", 2));
    var r = h.reconcile("api");
    assertThat(r.state("Accepted")).isEqualTo("False/ServiceNotFound");
    assertThat(r.condition("Accepted").message).contains("spec.service", "'api'");
    assertThat(r.rescheduleAfter()).isEmpty();
    assertThat(r.resource().getStatus().replicas).isEmpty();
  }

  @Test
  void aPerSiteCountForAnUnknownSiteNamesTheField() {
    var h = fleet();
    Deployment d = deployment("api", "api", "local/api:1", 1);
    d.getSpec().perSite = Map.of("lyon", 1);
    h.put(siteWithAgent("dijon", "10.200.0.0/24", 10), Fleet.service("api", "api.example"), d);
    var r = h.reconcile("api");
    assertThat(r.state("Accepted")).isEqualTo("False/SiteNotFound");
    assertThat(r.condition("Accepted").message).contains("spec.perSite.lyon");
  }

  @Test
  void aRescheduleAfterShorterThanTenSecondsIsRefused() {
    var h = fleet();
    Deployment d = deployment("api", "api", "local/api:1", 1);
    d.getSpec().rescheduleAfter = "5s";
    h.put(siteWithAgent("dijon", "10.200.0.0/24", 10), Fleet.service("api", "api.example"), d);
    assertThat(h.reconcile("api").state("Accepted")).isEqualTo("False/InvalidSpec");
  }

  @Test
  void replicasTheAgentsReportFailingAreNamedWithTheirReasonAndTheRolloutWaits() {
    AgentRegistry agents = new AgentRegistry(clock);
    var h = fleet(agents);
    h.put(
        siteWithAgent("dijon", "10.200.0.0/24", 10),
        Fleet.service("api", "api.example"),
        deployment("api", "api", "local/api:9", 1));
    var first = h.reconcile("api");
    assertThat(first.resource().getStatus().replicas)
        .extracting(x -> x.name)
        .containsExactly("api-r1-1");
    h.put(first.resource());
    String missing =
        "image local/api:9 is not on the Docker engine of site dijon; load or import it there";
    heartbeat(
        agents,
        NOW,
        new ReplicaReport(
            "api-r1-1", ReplicaReport.State.FAILED, ReplicaReport.IMAGE_NOT_FOUND, missing));

    var r = h.reconcile("api");

    assertThat(r.state("ReplicaFailure")).isEqualTo("True/ImageNotFound");
    assertThat(r.condition("ReplicaFailure").message).isEqualTo("api-r1-1 on dijon: " + missing);
    assertThat(r.state("Progressing")).isEqualTo("True/RollingOut");
    assertThat(r.condition("Progressing").message)
        .endsWith("; failing: api-r1-1 on dijon (ImageNotFound)");

    // The agent runs it after all: the condition says so once, instead of disappearing.
    heartbeat(
        agents,
        NOW.plusSeconds(5),
        new ReplicaReport("api-r1-1", ReplicaReport.State.RUNNING, null, null));
    h.put(r.resource());
    assertThat(h.reconcile("api").state("ReplicaFailure")).isEqualTo("False/ReplicasRunning");
  }

  @Test
  void replicasBeyondTheSitesMaxReplicasAreReportedAndTheRestRollsOut() {
    var h = fleet();
    Site dijon = siteWithAgent("dijon", "10.200.0.0/24", 10);
    dijon.getSpec().maxReplicas = 2;
    Site thory = siteWithAgent("thory", "10.200.1.0/24", 20);
    thory.getSpec().maxReplicas = 2;
    // Another Deployment already runs one replica on thory.
    Deployment other = deployment("web", "api", "local/web:1", 1);
    other.setStatus(new fr.acecinema.switchboard.api.v1alpha1.DeploymentStatus());
    Replica web = new Replica();
    web.name = "web-r1-1";
    web.site = "thory";
    other.getStatus().replicas = new java.util.ArrayList<>(java.util.List.of(web));
    h.put(dijon, thory, Fleet.service("api", "api.example"), other);
    h.put(deployment("api", "api", "local/api:1", 5));

    var r = h.reconcile("api");

    assertThat(r.resource().getStatus().replicas)
        .extracting(x -> x.site)
        .containsExactly("dijon", "dijon", "thory");
    assertThat(r.state("ReplicaFailure")).isEqualTo("True/InsufficientCapacity");
    assertThat(r.condition("ReplicaFailure").message)
        .startsWith("2 of 5 replicas have no room: the eligible sites take dijon 2, thory 1")
        .contains("spec.maxReplicas");
    h.put(r.resource());
    serve(h, r.resource());
    var placed = h.reconcile("api");
    assertThat(placed.state("Progressing")).isEqualTo("False/InsufficientCapacity");
    assertThat(placed.condition("Progressing").message).contains("2 more have no room");
    assertThat(placed.state("Available")).isEqualTo("True/MinimumReplicasReady");
    assertThat(placed.resource().getStatus().rolloutStarted).isNull();
  }

  @Test
  void aDeploymentNoSiteHasRoomForIsNotAvailableForThatReason() {
    var h = fleet();
    Site dijon = siteWithAgent("dijon", "10.200.0.0/24", 10);
    dijon.getSpec().maxReplicas = 0;
    h.put(dijon, Fleet.service("api", "api.example"), deployment("api", "api", "local/api:1", 1));
    var r = h.reconcile("api");
    assertThat(r.state("Available")).isEqualTo("False/InsufficientCapacity");
    assertThat(r.condition("Available").message).contains("dijon", "spec.maxReplicas");
    assertThat(r.resource().getStatus().replicas).isEmpty();
  }

  @Test
  void aDeclaredAgainDeploymentWaitsForThePrimaryItsAgentStillRegisters() {
    var h = fleet();
    var former = Fleet.backend("dijon-api-r4-9", "api", "dijon", "10.200.0.9", 30000);
    former
        .getMetadata()
        .setLabels(
            Map.of(
                ManagedBy.LABEL, "agent/dijon",
                ManagedBy.DEPLOYMENT, "api",
                ManagedBy.PRIMARY, "true"));
    Deployment d = deployment("api", "api", "local/api:1", 1);
    d.getSpec().primaryEnv = Map.of("CRON_ENABLED", "true");
    h.put(
        siteWithAgent("dijon", "10.200.0.0/24", 10),
        Fleet.service("api", "api.example"),
        former,
        d);

    var r = h.reconcile("api");

    assertThat(r.resource().getStatus().replicas).isEmpty();
    assertThat(r.resource().getStatus().retiredPrimaries)
        .extracting(x -> x.name)
        .containsExactly("api-r4-9");
    assertThat(r.condition("Progressing").message)
        .contains("the primary starts once its former holder is gone");
  }

  /**
   * A reconciler told whether it leads and whether the fleet is read, over dijon (with an agent),
   * the api Service and a Deployment of {@code replicas}.
   */
  private ReconcilerHarness<Deployment> dijonAndApi(
      java.util.function.BooleanSupplier leading,
      java.util.function.BooleanSupplier fleetKnown,
      int replicas) {
    var store = ReconcilerHarness.indexedStore();
    var h =
        new ReconcilerHarness<>(
            new DeploymentReconciler(clock, store, null, leading, fleetKnown).controller(), store);
    h.put(
        siteWithAgent("dijon", "10.200.0.0/24", 10),
        Fleet.service("api", "api.example"),
        deployment("api", "api", "local/api:1", replicas));
    return h;
  }

  @Test
  void nothingIsDecidedBeforeTheWholeFleetIsRead() {
    var known = new java.util.concurrent.atomic.AtomicBoolean();
    var h = dijonAndApi(() -> true, known::get, 1);

    var early = h.reconcile("api");
    assertThat(early.resource().getStatus().current).isNull();
    assertThat(early.resource().getStatus().conditions).isEmpty();
    assertThat(early.rescheduleAfter()).contains(Duration.ofSeconds(1));

    known.set(true);
    assertThat(h.reconcile("api").resource().getStatus().replicas).hasSize(1);
  }

  @Test
  void aHubThatDoesNotLeadDecidesNothingAndTheLeaderDecidesEverything() {
    var leading = new java.util.concurrent.atomic.AtomicBoolean();
    var h = dijonAndApi(leading::get, () -> true, 2);

    var following = h.reconcile("api");
    assertThat(following.resource().getStatus().current).isNull();
    assertThat(following.resource().getStatus().replicas).isEmpty();
    assertThat(following.resource().getStatus().conditions).isEmpty();
    // The follower does not poll: taking the lead republishes every key.
    assertThat(following.rescheduleAfter()).isEmpty();

    leading.set(true);
    assertThat(h.reconcile("api").resource().getStatus().replicas).hasSize(2);
  }

  @Test
  void sitesWithoutAnAgentTakeNoReplicas() {
    var h = fleet();
    h.put(
        Fleet.site("dijon", "10.200.0.0/24"),
        Fleet.service("api", "api.example"),
        deployment("api", "api", "local/api:1", 2));
    var r = h.reconcile("api");
    assertThat(r.state("Available")).isEqualTo("False/NoEligibleSites");
    assertThat(r.state("Ready")).isEqualTo("False/NoEligibleSites");
    assertThat(r.resource().getStatus().replicas).isEmpty();
  }

  @Test
  void assignsReplicasRollsOutAndCompletesOnceTheirBackendsAreReady() {
    var h = fleet();
    h.put(
        siteWithAgent("dijon", "10.200.0.0/24", 10),
        siteWithAgent("thory", "10.200.1.0/24", 20),
        Fleet.service("api", "api.example"),
        deployment("api", "api", "local/api:1", 2));
    var r = h.reconcile("api");
    assertThat(r.state("Accepted")).isEqualTo("True/Valid");
    assertThat(r.state("Progressing")).isEqualTo("True/RollingOut");
    assertThat(r.condition("Progressing").message).contains("revision 1 (local/api:1): 0 of 2");
    assertThat(r.rescheduleAfter()).contains(Duration.ofSeconds(1));
    assertThat(r.resource().getStatus().replicas)
        .extracting(x -> x.site + "/" + x.name + "/" + x.service)
        .containsExactly("dijon/api-r1-1/api", "thory/api-r1-2/api");
    h.put(r.resource());

    // The agents ran them; they registered and serve.
    serve(h, r.resource());
    var done = h.reconcile("api");
    assertThat(done.state("Progressing")).isEqualTo("False/RolloutComplete");
    assertThat(done.condition("Progressing").message).contains("dijon 1/1, thory 1/1");
    assertThat(done.state("Available")).isEqualTo("True/MinimumReplicasReady");
    assertThat(done.state("Ready")).isEqualTo("True/MinimumReplicasReady");
    assertThat(done.resource().getStatus().readyReplicas).isEqualTo(2);
  }

  @Test
  void aSiteIsRescheduledOnlyWhenTheHubLostItNotWhenItsBackendsFail() {
    var now = new java.util.concurrent.atomic.AtomicReference<>(NOW);
    Clock moving =
        new Clock() {
          @Override
          public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return now.get();
          }
        };
    var store = ReconcilerHarness.indexedStore();
    var h =
        new ReconcilerHarness<>(new DeploymentReconciler(moving, store, null).controller(), store);
    Site dijon = siteWithAgent("dijon", "10.200.0.0/24", 10);
    Site thory = siteWithAgent("thory", "10.200.1.0/24", 20);
    // Dijon has had no healthy backend for an hour: Ready=False, but the hub reaches it.
    dijon.getStatus().conditions.clear();
    dijon
        .getStatus()
        .setCondition(
            new Condition("Ready", Condition.FALSE, "NoHealthyBackends", ""),
            1,
            NOW.minusSeconds(3600));
    h.put(dijon, thory, Fleet.service("api", "api.example"), deployment("api", "api", "i:1", 2));
    var r = h.reconcile("api");
    assertThat(r.resource().getStatus().replicas).extracting(x -> x.site).contains("dijon");
    h.put(r.resource());
    now.set(NOW.plusSeconds(120));
    r = h.reconcile("api");
    assertThat(r.resource().getStatus().lostSites).isEmpty();
    h.put(r.resource());

    // Then the hub loses it: the condition keeps its old lastTransitionTime (still False), the
    // grace counts from now.
    Site cut = h.store().get(Site.class, "Site", "dijon").orElseThrow();
    cut.getStatus().conditions.clear();
    cut.getStatus()
        .setCondition(
            new Condition("Ready", Condition.FALSE, "Unreachable", ""), 1, NOW.minusSeconds(3600));
    h.put(cut);
    r = h.reconcile("api");
    assertThat(r.resource().getStatus().lostSites).isEmpty();
    h.put(r.resource());
    now.set(NOW.plusSeconds(120 + 59));
    r = h.reconcile("api");
    assertThat(r.resource().getStatus().lostSites).isEmpty();
    h.put(r.resource());
    now.set(NOW.plusSeconds(120 + 60));
    r = h.reconcile("api");
    assertThat(r.resource().getStatus().lostSites).containsKey("dijon");
    assertThat(r.resource().getStatus().replicas).extracting(x -> x.site).containsOnly("thory");
  }

  @Test
  void aBackendOfItsServiceEnqueuesItAndOneOfAnotherServiceDoesNot() {
    var h = fleet();
    h.put(Fleet.service("api", "api.example"), deployment("api", "api", "local/api:1", 1));
    var mine = Fleet.backend("dijon-api-r1-1", "api", "dijon", "10.200.0.5", 8080);
    var other = Fleet.backend("dijon-web", "web", "dijon", "10.200.0.6", 8080);
    assertThat(h.enqueuedBy(null, mine)).containsExactly(new ResourceKey("Deployment", "api"));
    assertThat(h.enqueuedBy(null, other)).isEmpty();
    assertThat(h.enqueuedBy(null, Fleet.site("thory", "10.200.1.0/24")))
        .containsExactly(new ResourceKey("Deployment", "api"));
  }
}
