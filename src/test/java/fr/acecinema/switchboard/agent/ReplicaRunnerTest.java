package fr.acecinema.switchboard.agent;

import static fr.acecinema.switchboard.agent.FakeDockerEngine.container;
import static fr.acecinema.switchboard.docker.DockerContainer.State.RUNNING;
import static fr.acecinema.switchboard.docker.HealthStatus.NONE;
import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.v1alpha1.Deployment;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentSpec;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentStatus;
import fr.acecinema.switchboard.api.v1alpha1.DeploymentStatus.Replica;
import fr.acecinema.switchboard.docker.ContainerLabels;
import fr.acecinema.switchboard.docker.ReplicaLabels;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link ReplicaRunner} with an engine and a hub in memory; time is what the test passes, so a
 * backoff, a drain or a lease passes without waiting.
 */
class ReplicaRunnerTest {
  private static final String IMAGE = "local/api:2";
  private static final Instant T0 = Instant.parse("2025-06-01T10:00:00Z");

  private final FakeDockerEngine engine = new FakeDockerEngine();
  private final FakeHub hub = new FakeHub();

  /** Names of the containers whose Backend the hub holds drained (or not at all). */
  private final Set<String> drained = new HashSet<>();

  /** Ports something outside Docker listens on at the site's address. */
  private final Set<Integer> taken = new HashSet<>();

  private final ReplicaRunner runner =
      new ReplicaRunner(
          "dijon", engine, hub, drained::contains, () -> "10.200.0.5", p -> !taken.contains(p));

  ReplicaRunnerTest() {
    engine.images.add(IMAGE);
  }

  static Replica replica(String name, String site, boolean primary) {
    Replica r = new Replica();
    r.name = name;
    r.site = site;
    r.service = "api";
    r.revision = 2;
    r.image = IMAGE;
    r.port = 8080;
    r.env = primary ? Map.of("PORT", "8080", "CRON", "on") : Map.of("PORT", "8080");
    if (primary) {
      r.primary = true;
      r.lease = "30s";
    }
    return r;
  }

  static Deployment deployment(String name, String drainPeriod, Replica... replicas) {
    Deployment d = new Deployment();
    d.setMetadata(new ObjectMetaBuilder().withName(name).build());
    DeploymentSpec spec = new DeploymentSpec();
    spec.service = "api";
    spec.image = IMAGE;
    spec.port = 8080;
    spec.drainPeriod = drainPeriod;
    d.setSpec(spec);
    DeploymentStatus status = new DeploymentStatus();
    status.current = new DeploymentStatus.Template();
    status.current.revision = 2;
    status.current.hash = "t2";
    status.current.image = IMAGE;
    status.replicas = new ArrayList<>(List.of(replicas));
    d.setStatus(status);
    return d;
  }

  @Test
  void aRetiredPrimaryIsFencedOnItsOwnLeaseWhenTheHubIsLostDuringItsDrain() throws Exception {
    Replica primary = replica("api-r2-7", "dijon", true);
    primary.lease = "5s";
    assign(deployment("api", null, primary));
    turn(T0);
    assertThat(engine.created.get("api-r2-7").labels()).containsEntry(ReplicaLabels.LEASE, "5s");

    // The hub retires it; its Backend is never seen drained (the site is cut off from now on).
    assign(deployment("api", null));
    turn(T0.plusSeconds(1));
    assertThat(runner.draining(engine.byName("api-r2-7").orElseThrow().id())).isTrue();

    // The hub counts on its lease (5s) from the last listing; the container says so itself.
    assertThat(runner.fenceOverdue(T0.plusSeconds(6))).isEmpty();
    assertThat(runner.fenceOverdue(T0.plusMillis(6_001))).containsExactly("api-r2-7");
  }

  @Test
  void aDeploymentListedWithoutItsStatusKeepsItsReplicasAndThePrimarysLease() throws Exception {
    Replica primary = replica("api-r2-7", "dijon", true);
    primary.lease = "5s";
    assign(deployment("api", null, primary));
    turn(T0);
    assertThat(engine.calls()).containsExactly("create api-r2-7", "start api-r2-7");
    String id = engine.byName("api-r2-7").orElseThrow().id();

    // Its file was just rewritten by hand: the hub serves it without a status for a moment.
    Deployment bare = deployment("api", null);
    bare.setStatus(null);
    assign(bare);
    turn(T0.plusSeconds(1));
    assertThat(runner.draining(id)).as("no status is no instruction: nothing retired").isFalse();

    // Then the hub is cut off: the primary is fenced at the end of its own lease, not the default.
    assertThat(runner.fenceOverdue(T0.plusSeconds(6))).isEmpty();
    assertThat(runner.fenceOverdue(T0.plusMillis(6_001))).containsExactly("api-r2-7");
  }

  private void assign(Deployment... deployments) {
    synchronized (hub) {
      hub.deployments.clear();
      hub.deployments.addAll(List.of(deployments));
    }
  }

  /** A running container labelled as {@code replica} of {@code deployment}. */
  private void putRunning(String name, String deployment, String replica, boolean primary) {
    engine.put(
        container(
            name, RUNNING, NONE, ReplicaLabels.of(deployment, replica, 2, primary, "api", 8080)));
  }

  /** Assigns replica api-r2-7 of deployment api (drained for {@code drainPeriod}) and runs it. */
  private void runOne(String drainPeriod) throws Exception {
    assign(deployment("api", drainPeriod, replica("api-r2-7", "dijon", false)));
    turn(T0);
  }

  /** One turn as the agent makes it: the hub's assignment, then a pass if one is due. */
  private boolean turn(Instant now) throws Exception {
    boolean due = runner.refresh(now);
    if (due) {
      runner.pass(engine.containers(), now);
    }
    return due;
  }

  private ReplicaReport report(String name) {
    return runner.reports().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void aReplicaWhosePortIsTakenWhenItStartsIsCreatedAgainOnAnotherPort() throws Exception {
    engine.failNextStart.put(
        "api-r2-7",
        "driver failed programming external connectivity: listen tcp4 10.200.0.5:"
            + ReplicaRunner.FIRST_PORT
            + ": bind: address already in use");
    runOne(null);
    assertThat(engine.calls())
        .containsExactly("create api-r2-7", "start api-r2-7", "remove api-r2-7");
    ReplicaReport r = report("api-r2-7");
    assertThat(r.reason()).isEqualTo(ReplicaReport.PORT_IN_USE);
    assertThat(r.message()).contains("address already in use", "another free port");

    // The process outside Docker keeps the port: the next create takes the next one.
    taken.add(ReplicaRunner.FIRST_PORT);
    turn(T0.plusSeconds(60));
    assertThat(engine.created.get("api-r2-7").hostPort()).isEqualTo(ReplicaRunner.FIRST_PORT + 1);
    assertThat(engine.calls()).endsWith("create api-r2-7", "start api-r2-7");
  }

  @Test
  void anAssignedReplicaIsCreatedWithItsEnvAndLabelsPublishedOnAFreePortAndStarted()
      throws Exception {
    assign(
        deployment(
            "api", null, replica("api-r2-7", "dijon", true), replica("api-r2-8", "thory", false)));

    assertThat(turn(T0)).isTrue();

    assertThat(engine.calls()).containsExactly("create api-r2-7", "start api-r2-7");
    var spec = engine.created.get("api-r2-7");
    assertThat(spec.image()).isEqualTo(IMAGE);
    assertThat(spec.env()).containsExactlyInAnyOrderEntriesOf(Map.of("PORT", "8080", "CRON", "on"));
    assertThat(spec.labels())
        .containsExactlyInAnyOrderEntriesOf(
            ReplicaLabels.of("api", "api-r2-7", 2, true, "api", ReplicaRunner.FIRST_PORT, "30s"));
    assertThat(spec.hostAddress()).isEqualTo("10.200.0.5");
    assertThat(spec.hostPort()).isEqualTo(ReplicaRunner.FIRST_PORT);
    assertThat(spec.containerPort()).isEqualTo(8080);
    assertThat(ContainerLabels.read("api-r2-7", spec.labels()))
        .isInstanceOf(ContainerLabels.Reading.Registered.class);
    assertThat(report("api-r2-7").state()).isEqualTo(ReplicaReport.State.STARTING);
    assertThat(runner.reports()).extracting(ReplicaReport::name).containsExactly("api-r2-7");

    // Running as assigned: the next listing changes nothing, and no pass is called for.
    assertThat(turn(T0.plusSeconds(5))).isFalse();
    runner.pass(engine.containers(), T0.plusSeconds(5));
    assertThat(engine.calls()).hasSize(2);
    assertThat(report("api-r2-7").state()).isEqualTo(ReplicaReport.State.RUNNING);
  }

  @Test
  void replicasSharingASiteArePublishedOnPortsNoOtherReplicaOrProcessHolds() throws Exception {
    // A replica of another deployment already holds the first port; a process holds the next.
    engine.put(
        container(
            "web-r1-1",
            RUNNING,
            NONE,
            ReplicaLabels.of("web", "web-r1-1", 1, false, "web", ReplicaRunner.FIRST_PORT)));
    taken.add(ReplicaRunner.FIRST_PORT + 1);
    assign(
        deployment(
            "api", null, replica("api-r2-7", "dijon", false), replica("api-r2-8", "dijon", false)),
        deployment("web", null, replica("web-r1-1", "dijon", false)));

    turn(T0);

    assertThat(engine.created.get("api-r2-7").hostPort()).isEqualTo(ReplicaRunner.FIRST_PORT + 2);
    assertThat(engine.created.get("api-r2-8").hostPort()).isEqualTo(ReplicaRunner.FIRST_PORT + 3);
    assertThat(engine.created.get("api-r2-8").labels())
        .containsEntry(ContainerLabels.PORT, Integer.toString(ReplicaRunner.FIRST_PORT + 3));
  }

  @Test
  void aMissingImageIsReportedAndNothingIsCreatedUntilItIsImported() throws Exception {
    engine.images.clear();
    assign(deployment("api", null, replica("api-r2-7", "dijon", false)));

    turn(T0);

    assertThat(engine.calls()).isEmpty();
    ReplicaReport r = report("api-r2-7");
    assertThat(r.state()).isEqualTo(ReplicaReport.State.FAILED);
    assertThat(r.reason()).isEqualTo(ReplicaReport.IMAGE_NOT_FOUND);
    assertThat(r.message()).contains("image local/api:2 is not on the Docker engine of site dijon");
    assertThat(runner.dueAt()).isEqualTo(T0.plusSeconds(1));

    engine.images.add(IMAGE);
    assertThat(turn(T0.plusMillis(500))).isFalse(); // waits for its backoff
    assertThat(turn(T0.plusSeconds(1))).isTrue();
    assertThat(engine.calls()).containsExactly("create api-r2-7", "start api-r2-7");
  }

  @Test
  void anExitedReplicaIsStartedAgainWithADoublingBackoffAndItsExitCodeReported() throws Exception {
    runOne(null);
    engine.exit("api-r2-7", 3);

    runner.pass(engine.containers(), T0.plusSeconds(2));
    ReplicaReport r = report("api-r2-7");
    assertThat(r.state()).isEqualTo(ReplicaReport.State.FAILED);
    assertThat(r.reason()).isEqualTo(ReplicaReport.EXITED);
    assertThat(r.message()).startsWith("exited with code 3; 0 restart(s) so far");
    assertThat(runner.dueAt()).isEqualTo(T0.plusSeconds(3));
    assertThat(engine.calls()).containsExactly("create api-r2-7", "start api-r2-7");

    engine.now = T0.plusSeconds(3);
    assertThat(turn(T0.plusSeconds(3))).isTrue();
    assertThat(engine.calls()).endsWith("start api-r2-7", "start api-r2-7");
    assertThat(report("api-r2-7").message()).contains("1 restart(s) so far");

    // A second exit of the new life waits twice as long.
    engine.exit("api-r2-7", 137);
    runner.pass(engine.containers(), T0.plusSeconds(4));
    assertThat(report("api-r2-7").message()).startsWith("exited with code 137; 1 restart(s)");
    assertThat(runner.dueAt()).isEqualTo(T0.plusSeconds(6));
    runner.pass(engine.containers(), T0.plusSeconds(5));
    assertThat(engine.calls()).hasSize(3);
  }

  @Test
  void aReplicaNoLongerAssignedIsDrainedForTheDrainPeriodThenStoppedAndRemoved() throws Exception {
    runOne("3s");
    String id = engine.byName("api-r2-7").orElseThrow().id();

    assign(deployment("api", "3s"));
    assertThat(turn(T0.plusSeconds(5))).isTrue();
    assertThat(runner.draining(id)).isTrue();
    assertThat(runner.reports()).isEmpty();
    // The hub has not got the drain yet: looked at again in a second, nothing stopped.
    assertThat(runner.dueAt()).isEqualTo(T0.plusSeconds(6));
    assertThat(turn(T0.plusSeconds(6))).isTrue();
    assertThat(engine.calls()).hasSize(2);

    drained.add("api-r2-7");
    turn(T0.plusSeconds(7));
    assertThat(runner.dueAt()).isEqualTo(T0.plusSeconds(10));
    turn(T0.plusMillis(9_999));
    assertThat(engine.calls()).hasSize(2);

    assertThat(turn(T0.plusSeconds(10))).isTrue();
    assertThat(engine.calls()).endsWith("stop api-r2-7 10s", "remove api-r2-7");
    assertThat(engine.byName("api-r2-7")).isEmpty();
    runner.pass(engine.containers(), T0.plusSeconds(11));
    assertThat(runner.draining(id)).isFalse();
  }

  @Test
  void aReplicaAssignedAgainWhileDrainingIsKeptAndServesAgain() throws Exception {
    runOne(null);
    String id = engine.byName("api-r2-7").orElseThrow().id();
    assign(deployment("api", null));
    turn(T0.plusSeconds(1));
    assertThat(runner.draining(id)).isTrue();

    assign(deployment("api", null, replica("api-r2-7", "dijon", false)));
    turn(T0.plusSeconds(2));

    assertThat(runner.draining(id)).isFalse();
    assertThat(engine.calls()).containsExactly("create api-r2-7", "start api-r2-7");
  }

  @Test
  void theReplicasOfADeploymentThatIsGoneAreRetiredAfterTheDefaultDrainPeriod() throws Exception {
    runOne(null);
    drained.add("api-r2-7");

    assign();
    turn(T0.plusSeconds(1));

    assertThat(runner.dueAt())
        .isEqualTo(T0.plusSeconds(1).plus(DeploymentSpec.DEFAULT_DRAIN_PERIOD));
    turn(T0.plusSeconds(6));
    assertThat(engine.calls()).endsWith("stop api-r2-7 10s", "remove api-r2-7");
  }

  @Test
  void aStoppedReplicaThatIsNoLongerAssignedIsRemovedAtOnce() throws Exception {
    runOne(null);
    engine.exit("api-r2-7", 0);

    assign(deployment("api", null));
    turn(T0.plusSeconds(1));

    assertThat(engine.calls()).endsWith("start api-r2-7", "remove api-r2-7");
  }

  @Test
  void containersThatAreNotThisReplicaAreNeverTouched() throws Exception {
    engine.put(container("web", RUNNING, NONE, Map.of("switchboard.service", "api")));
    // Assigned name, but another deployment's labels: a conflict, reported, left alone.
    putRunning("api-r2-7", "other", "api-r2-7", false);
    // A replica label that is not its container's name: not the agent's.
    putRunning("renamed", "api", "api-r1-1", true);
    assign(deployment("api", null, replica("api-r2-7", "dijon", false)));

    turn(T0);
    drained.addAll(List.of("web", "api-r2-7", "renamed"));
    runner.pass(engine.containers(), T0.plusSeconds(60));

    assertThat(engine.calls()).isEmpty();
    assertThat(report("api-r2-7").reason()).isEqualTo(ReplicaReport.NAME_CONFLICT);
    assertThat(report("api-r2-7").message()).contains("remove or rename it");
  }

  @Test
  void theFenceStopsAnOverduePrimaryWithoutWaitingForAPassOrTheHub() throws Exception {
    assign(
        deployment(
            "api", null, replica("api-r2-7", "dijon", true), replica("api-r2-8", "dijon", false)));
    turn(T0);
    // The worker is now stuck in a call to a hub that does not answer: only the fence acts.
    assertThat(runner.fenceOverdue(T0.plusSeconds(30))).isEmpty();
    assertThat(engine.calls()).doesNotContain("stop api-r2-7 10s");
    assertThat(runner.fenceOverdue(T0.plusSeconds(30).plusMillis(1))).containsExactly("api-r2-7");
    assertThat(engine.calls()).endsWith("stop api-r2-7 10s");
    assertThat(engine.calls()).doesNotContain("stop api-r2-8 10s");
    // Stopped already: nothing more to stop.
    assertThat(runner.fenceOverdue(T0.plusSeconds(40))).isEmpty();
  }

  @Test
  void aPrimaryIsFencedWhenTheHubIsSilentLongerThanItsLeaseAndStartedAgainWhenItAnswers()
      throws Exception {
    assign(
        deployment(
            "api", null, replica("api-r2-7", "dijon", true), replica("api-r2-8", "dijon", false)));
    turn(T0);
    assertThat(runner.dueAt()).isEqualTo(T0.plusSeconds(30).plusMillis(1));

    hub.down = true;
    assertThat(turn(T0.plusSeconds(30))).isFalse();
    assertThat(engine.calls()).doesNotContain("stop api-r2-7 10s");
    assertThat(turn(T0.plusSeconds(30).plusMillis(1))).isTrue();

    assertThat(engine.calls()).endsWith("stop api-r2-7 10s");
    assertThat(engine.calls()).doesNotContain("stop api-r2-8 10s", "remove api-r2-7");
    assertThat(report("api-r2-7").state()).isEqualTo(ReplicaReport.State.STOPPED);
    assertThat(report("api-r2-7").reason()).isEqualTo(ReplicaReport.FENCED);
    assertThat(report("api-r2-8").state()).isEqualTo(ReplicaReport.State.RUNNING);

    // Still silent: it stays stopped, and its stop is not taken for a crash.
    turn(T0.plusSeconds(90));
    runner.pass(engine.containers(), T0.plusSeconds(90));
    assertThat(engine.calls()).filteredOn(c -> c.startsWith("start api-r2-7")).hasSize(1);

    hub.down = false;
    assertThat(turn(T0.plusSeconds(91))).isTrue();
    assertThat(engine.calls()).endsWith("start api-r2-7");
    assertThat(report("api-r2-7").state()).isEqualTo(ReplicaReport.State.STARTING);
    assertThat(report("api-r2-7").message()).isNull();
  }

  @Test
  void beforeAnyListingARunningPrimaryIsStoppedAndNothingIsCreatedNorRetired() throws Exception {
    putRunning("api-r2-7", "api", "api-r2-7", true);
    putRunning("api-r2-8", "api", "api-r2-8", false);
    hub.down = true;
    drained.addAll(List.of("api-r2-7", "api-r2-8"));

    turn(T0);
    runner.pass(engine.containers(), T0);

    assertThat(engine.calls()).containsExactly("stop api-r2-7 10s");
    assertThat(runner.reports()).isEmpty();
  }
}
