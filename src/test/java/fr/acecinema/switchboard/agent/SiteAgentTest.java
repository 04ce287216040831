package fr.acecinema.switchboard.agent;

import static fr.acecinema.switchboard.agent.FakeDockerEngine.container;
import static fr.acecinema.switchboard.docker.DockerContainer.State.EXITED;
import static fr.acecinema.switchboard.docker.DockerContainer.State.RUNNING;
import static fr.acecinema.switchboard.docker.HealthStatus.HEALTHY;
import static fr.acecinema.switchboard.docker.HealthStatus.NONE;
import static fr.acecinema.switchboard.docker.HealthStatus.STARTING;
import static fr.acecinema.switchboard.docker.HealthStatus.UNHEALTHY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import fr.acecinema.switchboard.agent.AgentReport.ContainerSeen;
import fr.acecinema.switchboard.api.ManagedBy;
import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import fr.acecinema.switchboard.docker.ContainerEvent.Action;
import fr.acecinema.switchboard.docker.DockerContainer;
import fr.acecinema.switchboard.docker.HealthStatus;
import fr.acecinema.switchboard.testing.MutableClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SiteAgentTest {
  private static final Map<String, String> API =
      Map.of("switchboard.service", "api", "switchboard.port", "8080");
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private static final Duration RESYNC = Duration.ofSeconds(30);

  private final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T10:00:00Z"));
  private final FakeDockerEngine engine = new FakeDockerEngine();
  private final FakeHub hub = new FakeHub();

  private SiteAgent agent(Optional<String> address, Clock clock, List<String> local) {
    return new SiteAgent(
        new SiteAgent.Settings("dijon", address, INTERVAL, RESYNC, "1.2.3"),
        engine,
        hub,
        clock,
        () -> local,
        (host, port) -> true); // the fake host: every port of its address is free
  }

  private SiteAgent agent() {
    return agent(Optional.of("10.200.1.5"), clock, List.of());
  }

  /** An agent that has made its first turn with one running container, registered if serving. */
  private SiteAgent registered(String name, HealthStatus health) {
    engine.put(container(name, RUNNING, health, API));
    SiteAgent agent = agent();
    agent.step();
    return agent;
  }

  private static BackendSpec spec(boolean drain) {
    BackendSpec s = new BackendSpec();
    s.service = "api";
    s.site = "dijon";
    s.address = "10.200.1.5";
    s.port = 8080;
    if (drain) {
      s.drain = true;
    }
    return s;
  }

  private static HubBackend managed(String name, BackendSpec spec) {
    return new HubBackend(name, Map.of(ManagedBy.LABEL, "agent/dijon"), spec);
  }

  private static ContainerSeen seen(AgentReport report, String name) {
    return report.containers().stream()
        .filter(c -> c.name().equals(name))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aPrimaryReplicasBackendSaysWhichDeploymentItServesAndThatItIsPrimary() {
    hub.deployments.add(
        ReplicaRunnerTest.deployment(
            "api", null, ReplicaRunnerTest.replica("api-r2-7", "dijon", true)));
    engine.put(
        container(
            "api-r2-7",
            RUNNING,
            HEALTHY,
            fr.acecinema.switchboard.docker.ReplicaLabels.of(
                "api", "api-r2-7", 2, true, "api", 30000)));

    agent().step();

    assertThat(hub.puts.getFirst().labels())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                ManagedBy.LABEL, "agent/dijon",
                ManagedBy.DEPLOYMENT, "api",
                ManagedBy.PRIMARY, "true"));
  }

  @Test
  void aHealthyContainerBecomesOneBackendNamedAfterSiteAndContainer() {
    engine.put(container("Web_1", RUNNING, HEALTHY, API));
    SiteAgent agent = agent();

    agent.step();

    assertThat(hub.writes()).containsExactly("PUT dijon-web-1");
    HubBackend put = hub.puts.getFirst();
    assertThat(put.labels()).containsExactly(Map.entry(ManagedBy.LABEL, "agent/dijon"));
    assertThat(put.spec().service).isEqualTo("api");
    assertThat(put.spec().site).isEqualTo("dijon");
    assertThat(put.spec().address).isEqualTo("10.200.1.5");
    assertThat(put.spec().port).isEqualTo(8080);
    assertThat(put.spec().draining()).isFalse();
    assertThat(seen(hub.lastReport(), "Web_1").backend()).isEqualTo("dijon-web-1");
  }

  @Test
  void aRunningContainerWithoutHealthcheckIsRegistered() {
    engine.put(container("web", RUNNING, NONE, API));

    agent().step();

    assertThat(hub.writes()).containsExactly("PUT dijon-web");
  }

  @Test
  void aStartingOrUnhealthyContainerIsNotRegistered() {
    engine.put(container("booting", RUNNING, STARTING, API));
    engine.put(container("sick", RUNNING, UNHEALTHY, API));
    engine.put(container("stopped", EXITED, NONE, API));

    agent().step();

    assertThat(hub.writes()).isEmpty();
    AgentReport report = hub.lastReport();
    assertThat(seen(report, "booting").health()).isEqualTo("starting");
    assertThat(seen(report, "booting").backend()).isNull();
    assertThat(seen(report, "sick").backend()).isNull();
    assertThat(seen(report, "stopped").state()).isEqualTo("exited");
  }

  @Test
  void aRegisteredContainerThatTurnsUnhealthyIsDrainedThenDeletedWhenItStops() {
    SiteAgent agent = registered("web", HEALTHY);

    engine.put(container("web", RUNNING, UNHEALTHY, API));
    engine.emit(Action.HEALTH_STATUS, "id-web", Map.of());
    agent.step();
    assertThat(hub.puts.getLast().spec().draining()).isTrue();
    assertThat(hub.writes()).containsExactly("PUT dijon-web", "PUT dijon-web");

    engine.put(container("web", EXITED, UNHEALTHY, API));
    engine.emit(Action.DIE, "id-web", Map.of());
    agent.step();
    assertThat(hub.writes()).containsExactly("PUT dijon-web", "PUT dijon-web", "DELETE dijon-web");
  }

  @Test
  void aDrainedContainerThatIsHealthyAgainServesAgain() {
    engine.put(container("web", RUNNING, UNHEALTHY, API));
    hub.backends.put("dijon-web", managed("dijon-web", spec(false)));
    SiteAgent agent = agent();
    agent.step();
    assertThat(hub.backends.get("dijon-web").spec().draining()).isTrue();

    engine.put(container("web", RUNNING, HEALTHY, API));
    engine.emit(Action.HEALTH_STATUS, "id-web", Map.of());
    agent.step();

    assertThat(hub.backends.get("dijon-web").spec().draining()).isFalse();
  }

  @Test
  void aKillDrainsTheBackendBeforeItIsDeleted() {
    SiteAgent agent = registered("web", NONE);

    // docker stop: the stop signal first, while the container still runs and finishes requests.
    engine.emit(Action.KILL, "id-web", Map.of("signal", "15"));
    agent.step();
    assertThat(hub.writes()).containsExactly("PUT dijon-web", "PUT dijon-web");
    assertThat(hub.puts.getLast().spec().draining()).isTrue();

    engine.put(container("web", EXITED, NONE, API));
    engine.emit(Action.DIE, "id-web", Map.of());
    engine.emit(Action.STOP, "id-web", Map.of());
    agent.step();
    assertThat(hub.writes()).containsExactly("PUT dijon-web", "PUT dijon-web", "DELETE dijon-web");
    assertThat(hub.backends).isEmpty();
  }

  @Test
  void aKillWithAReloadSignalDoesNotDrain() {
    SiteAgent agent = registered("web", NONE);

    engine.emit(Action.KILL, "id-web", Map.of("signal", "1"));
    agent.step();

    assertThat(hub.writes()).containsExactly("PUT dijon-web");
  }

  @Test
  void aRestartedAgentThatFindsEverythingInPlaceWritesNothing() {
    engine.put(container("web", RUNNING, HEALTHY, API));
    engine.put(container("sick", RUNNING, UNHEALTHY, API));
    // As the hub may return them: defaults written out.
    BackendSpec web = spec(false);
    web.weight = 1;
    web.role = BackendSpec.Role.PRIMARY;
    web.drain = false;
    hub.backends.put("dijon-web", managed("dijon-web", web));
    BackendSpec sick = spec(true);
    hub.backends.put("dijon-sick", managed("dijon-sick", sick));
    SiteAgent agent = agent();

    agent.step();
    clock.advance(RESYNC);
    agent.step();

    assertThat(hub.writes()).isEmpty();
    // Listed at start and again at the periodic resync; both found everything in place.
    assertThat(hub.lists).isEqualTo(2);
    assertThat(seen(hub.lastReport(), "web").backend()).isEqualTo("dijon-web");
    assertThat(seen(hub.lastReport(), "sick").backend()).isEqualTo("dijon-sick");
  }

  @Test
  void aBackendRemovedOnTheHubBehindTheAgentsBackIsWrittenAgainAtTheNextResync() {
    engine.put(container("web", RUNNING, HEALTHY, API));
    SiteAgent agent = agent();
    agent.step();
    assertThat(hub.writes()).containsExactly("PUT dijon-web");
    hub.backends.remove("dijon-web");

    clock.advance(RESYNC);
    agent.step();

    assertThat(hub.writes()).containsExactly("PUT dijon-web", "PUT dijon-web");
    assertThat(hub.backends).containsKey("dijon-web");
  }

  @Test
  void backendsOfThisAgentWithoutContainerAreDeletedAndOthersAreLeftAlone() {
    hub.backends.put("dijon-gone", managed("dijon-gone", spec(false)));
    hub.backends.put("dijon-typed", new HubBackend("dijon-typed", Map.of(), spec(false)));

    agent().step();

    assertThat(hub.writes()).containsExactly("DELETE dijon-gone");
    assertThat(hub.backends).containsOnlyKeys("dijon-typed");
  }

  @Test
  void invalidLabelsAreNotRegisteredAndTheirProblemIsReported() {
    engine.put(
        container(
            "web",
            RUNNING,
            HEALTHY,
            Map.of("switchboard.service", "api", "switchboard.port", "70000")));
    engine.put(container("other", RUNNING, HEALTHY, Map.of("com.example", "x")));

    agent().step();

    assertThat(hub.writes()).isEmpty();
    AgentReport report = hub.lastReport();
    assertThat(report.containers()).extracting(ContainerSeen::name).containsExactly("web");
    assertThat(seen(report, "web").problem())
        .contains("container web: label switchboard.port")
        .contains("65535");
    assertThat(seen(report, "web").backend()).isNull();
  }

  @Test
  void aBackendTheHubRefusesIsNotSentAgainAndItsReasonIsReported() {
    engine.put(container("web", RUNNING, HEALTHY, API));
    hub.putFailures.add(FakeHub.status(403));
    SiteAgent agent = agent();

    agent.step();
    for (int i = 0; i < 5; i++) {
      clock.advance(RESYNC);
      engine.emit(Action.HEALTH_STATUS, "id-web", Map.of());
      agent.step();
    }

    assertThat(hub.writes()).containsExactly("PUT dijon-web");
    ContainerSeen web = seen(hub.lastReport(), "web");
    assertThat(web.problem()).contains("HTTP 403");
    assertThat(web.backend()).isNull();
  }

  @Test
  void aRefusedContainerIsSentAgainOnceReplacedByAnotherContainer() {
    engine.put(container("web", RUNNING, HEALTHY, API));
    hub.putFailures.add(FakeHub.status(422));
    SiteAgent agent = agent();
    agent.step();

    engine.drop("id-web");
    engine.put(
        new DockerContainer(
            "id-web-2",
            "web",
            Map.of("switchboard.service", "api", "switchboard.port", "8081"),
            RUNNING,
            HEALTHY,
            Optional.empty()));
    engine.emit(Action.START, "id-web-2", Map.of());
    agent.step();

    assertThat(hub.writes()).containsExactly("PUT dijon-web", "PUT dijon-web");
    assertThat(hub.backends.get("dijon-web").spec().port).isEqualTo(8081);
  }

  @Test
  void aHubAnswering503IsRetriedWithBackoffUntilItAccepts() {
    engine.put(container("web", RUNNING, HEALTHY, API));
    hub.putFailures.add(FakeHub.status(503));
    hub.putFailures.add(FakeHub.status(503));
    SiteAgent agent = agent();
    Instant start = clock.instant();

    assertThat(agent.step()).isEqualTo(start.plusSeconds(1));
    clock.advance(Duration.ofMillis(500));
    agent.step();
    assertThat(hub.writes()).hasSize(1);

    clock.set(start.plusSeconds(1));
    assertThat(agent.step()).isEqualTo(start.plusSeconds(3)); // 1 s, then 2 s
    assertThat(hub.writes()).hasSize(2);

    clock.set(start.plusSeconds(3));
    agent.step();

    assertThat(hub.writes()).containsExactly("PUT dijon-web", "PUT dijon-web", "PUT dijon-web");
    assertThat(hub.backends).containsOnlyKeys("dijon-web");
    // Listed again after each failure: what the hub holds was unknown.
    assertThat(hub.lists).isEqualTo(3);
  }

  @Test
  void anUnreachableHubLeavesTheAgentRunningAndItCatchesUpWhenTheHubReturns() {
    engine.put(container("web", RUNNING, HEALTHY, API));
    hub.down = true;
    SiteAgent agent = agent();
    for (int i = 0; i < 10; i++) {
      clock.set(agent.step());
    }
    assertThat(hub.backends).isEmpty();

    hub.down = false;
    for (int i = 0; i < 3; i++) {
      clock.set(agent.step());
    }

    assertThat(hub.backends).containsOnlyKeys("dijon-web");
    assertThat(hub.reports).isNotEmpty();
  }

  @Test
  void eventsDuringAHubOutageAreReportedButDoNotCallTheHubBeforeItsBackoff() {
    hub.down = true;
    SiteAgent agent = agent();
    agent.step();
    assertThat(hub.listCalls).isEqualTo(1);

    engine.put(container("web", RUNNING, HEALTHY, API));
    for (int i = 0; i < 20; i++) {
      engine.emit(Action.START, "id-web", Map.of());
      agent.step();
    }

    assertThat(hub.listCalls).isEqualTo(1);
    assertThat(engine.lists.get()).isEqualTo(21);
  }

  @Test
  void aBurstOfEventsIsCoalescedIntoFewSyncs() throws Exception {
    SiteAgent agent = agent(Optional.of("10.200.1.5"), Clock.systemUTC(), List.of());
    try {
      agent.start(() -> {});
      await().atMost(Duration.ofSeconds(10)).until(() -> engine.lists.get() == 1);
      engine.put(container("web", RUNNING, HEALTHY, API));

      // The first event wakes the worker, which then lists slowly while 49 more arrive.
      CountDownLatch listing = engine.hold();
      engine.emit(Action.START, "id-web", Map.of());
      assertThat(listing.await(10, TimeUnit.SECONDS)).isTrue();
      for (int i = 0; i < 49; i++) {
        engine.emit(Action.HEALTH_STATUS, "id-web", Map.of());
      }
      engine.open();

      await().atMost(Duration.ofSeconds(10)).until(() -> hub.writes().contains("PUT dijon-web"));
      await().atMost(Duration.ofSeconds(10)).until(() -> engine.lists.get() >= 3);
      assertThat(engine.lists.get()).isEqualTo(3); // the start, the first event, the other 49
      assertThat(hub.writes()).containsExactly("PUT dijon-web");
    } finally {
      agent.close();
    }
  }

  @Test
  void anEndedEventStreamIsRenewedWithBackoffAndTheContainersListedAgain() {
    SiteAgent agent = agent();
    Instant start = clock.instant();
    agent.step();
    assertThat(engine.subscriptions.get()).isEqualTo(1);

    engine.down = true;
    engine.breakStream();
    agent.step();
    clock.set(start.plusSeconds(1));
    agent.step(); // refused: the next try 2 s later
    clock.set(start.plusSeconds(2));
    agent.step();
    assertThat(engine.subscribed()).isFalse();

    engine.down = false;
    engine.put(container("web", RUNNING, HEALTHY, API));
    clock.set(start.plusSeconds(3));
    agent.step();

    assertThat(engine.subscribed()).isTrue();
    assertThat(hub.writes()).containsExactly("PUT dijon-web");
  }

  @Test
  void heartbeatsCarryTheEngineAndAStrictlyIncreasingSentAtEvenWhenTheClockStepsBack() {
    SiteAgent agent = agent();
    agent.step();
    clock.advance(INTERVAL);
    agent.step();
    clock.advance(Duration.ofHours(-1));
    // Not an hour without heartbeats: the next one is an interval away from the new time.
    assertThat(agent.step()).isEqualTo(clock.instant().plus(INTERVAL));
    clock.advance(INTERVAL);
    agent.step();
    clock.advance(INTERVAL);
    agent.step();

    List<Instant> sent = hub.reports.stream().map(AgentReport::sentAt).toList();
    assertThat(sent).hasSize(4);
    for (int i = 1; i < sent.size(); i++) {
      assertThat(sent.get(i)).isAfter(sent.get(i - 1));
    }
    AgentReport first = hub.reports.getFirst();
    assertThat(first.agentVersion()).isEqualTo("1.2.3");
    assertThat(first.engineVersion()).isEqualTo("24.0.7");
    assertThat(first.hostName()).isEqualTo("dijon-docker");
    assertThat(first.interval()).isEqualTo(INTERVAL);
  }

  @Test
  void aHeartbeatRefusedAsAReplayIsFollowedByOneDatedAfterIt() {
    SiteAgent agent = agent();
    hub.reportFailures.add(FakeHub.status(409));
    Instant refused = clock.instant();
    agent.step();

    // This host's clock is behind the one that dated the hub's last heartbeat.
    clock.advance(Duration.ofHours(-1));
    agent.step();
    clock.advance(INTERVAL);
    agent.step();

    assertThat(hub.reports).hasSize(1);
    assertThat(hub.lastReport().sentAt()).isAfter(refused.plus(SiteAgent.FIRST_BACKOFF));
  }

  @Test
  void withoutAnAdvertiseAddressTheOneLocalAddressInTheSiteSubnetIsUsed() {
    engine.put(container("web", RUNNING, HEALTHY, API));
    SiteAgent agent =
        agent(
            Optional.empty(), clock, List.of("127.0.0.1", "192.168.1.20", "10.200.1.7", "fe80::1"));

    agent.step();

    assertThat(hub.puts.getFirst().spec().address).isEqualTo("10.200.1.7");
  }

  @Test
  void withoutAnAdvertiseAddressAndNoLocalAddressInTheSubnetTheAgentGivesUpSayingWhatToSet() {
    SiteAgent agent = agent(Optional.empty(), clock, List.of("192.168.1.20"));

    assertThatThrownBy(agent::step)
        .isInstanceOf(SiteAgent.GiveUp.class)
        .hasMessageContaining("10.200.1.0/24")
        .hasMessageContaining("192.168.1.20")
        .hasMessageContaining("--advertise-address");
  }

  @Test
  void twoContainersWhoseNamesCleanToTheSameBackendNameAreNotBothRegistered() {
    engine.put(container("web_1", RUNNING, HEALTHY, API));
    engine.put(container("web.1", RUNNING, HEALTHY, API));

    agent().step();

    assertThat(hub.writes()).containsExactly("PUT dijon-web-1");
    assertThat(seen(hub.lastReport(), "web_1").problem()).contains("also that of container web.1");
  }

  @Test
  void theStatesOfAContainerAreReportedInTheEnginesWords() {
    engine.put(container("web", RUNNING, HealthStatus.NONE, API));

    agent().step();

    ContainerSeen web = seen(hub.lastReport(), "web");
    assertThat(web.id()).isEqualTo("id-web");
    assertThat(web.state()).isEqualTo("running");
    assertThat(web.health()).isEqualTo("none");
  }

  @Test
  void aRetiredReplicaIsWrittenDrainedKeptForItsDrainPeriodThenStoppedRemovedAndDeleted() {
    engine.images.add("local/api:2");
    engine.now = clock.instant();
    hub.deployments.add(
        ReplicaRunnerTest.deployment(
            "api", "3s", ReplicaRunnerTest.replica("api-r2-7", "dijon", false)));
    SiteAgent agent = agent();
    agent.step();
    assertThat(engine.calls()).containsExactly("create api-r2-7", "start api-r2-7");
    engine.emit(Action.START, "id-api-r2-7", Map.of());
    agent.step();
    assertThat(hub.writes()).containsExactly("PUT dijon-api-r2-7");
    // The first turn's heartbeat went out just after the start.
    assertThat(hub.lastReport().replicas())
        .containsExactly(new ReplicaReport("api-r2-7", ReplicaReport.State.STARTING, null, null));

    hub.deployments.set(0, ReplicaRunnerTest.deployment("api", "3s"));
    clock.advance(INTERVAL);
    Instant unassigned = clock.instant();
    clock.set(agent.step());
    assertThat(hub.puts.getLast().spec().draining()).isTrue();
    assertThat(hub.lastReport().replicas()).isEmpty();

    // The drain is on the hub when the runner looks again, 1 s later; it lasts 3 s from there.
    assertThat(clock.instant()).isEqualTo(unassigned.plusSeconds(1));
    clock.set(agent.step());
    assertThat(clock.instant()).isEqualTo(unassigned.plusSeconds(4));
    assertThat(engine.calls()).hasSize(2);
    agent.step();
    assertThat(engine.calls()).endsWith("stop api-r2-7 10s", "remove api-r2-7");
    assertThat(hub.writes()).containsExactly("PUT dijon-api-r2-7", "PUT dijon-api-r2-7");

    engine.emit(Action.DESTROY, "id-api-r2-7", Map.of());
    agent.step();
    assertThat(hub.writes())
        .containsExactly("PUT dijon-api-r2-7", "PUT dijon-api-r2-7", "DELETE dijon-api-r2-7");
  }
}
